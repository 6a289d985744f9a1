#!/bin/bash
# Honest render results at 50 random seeds (printed), each a one-frame
# task of the example scene at 64x48 and 8 samples, checked by proof-check
# crop: none may be rejected (tests/adversarial/render-cheats.bats runs a
# handful of seeds; this is the full count, too slow for make test).
set -euo pipefail
name=render_honest
source "$(dirname "$0")/render_setup.bash"
count=${RENDER_HONEST_SEEDS:-50}
"$root/examples/render/make-job" . '.render.frames.end = 1 | .render.resolution = {width: 64, height: 48} | .render.samples = 8'
seeds=$(od -An -N$((4 * count)) -tu4 /dev/urandom | tr -s ' ' '\n' | grep . | awk '{print $1 % 2147483648}')
echo "seeds: $(tr '\n' ' ' <<<"$seeds")"
for s in $seeds; do jq -c --argjson s "$s" '.render.seed = $s' job.json; done | job-split >tasks.jsonl
job-run --key prov.key --store store tasks.jsonl >results.jsonl
proof-check --key verifier.key --tasks tasks.jsonl --store store --mode sig,trace,crop results.jsonl >verdicts.jsonl || true
jq -s -r '"\(length) honest results: \([.[] | select(.status == "accept")] | length) accepted, \([.[] | select(.status != "accept")] | length) not" ' verdicts.jsonl
jq -e -s 'all(.status == "accept")' verdicts.jsonl >/dev/null || { jq -c 'select(.status != "accept") | {task, reason}' verdicts.jsonl; exit 1; }
