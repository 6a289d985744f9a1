#!/bin/bash
# The render kind's costs, through the real tools: a 48-frame job (the
# example scene at 160x120, 32 samples) rendered as one task by job-run,
# then verified by proof-check crop at its defaults (99% against 10% of the
# frames faked); the ratio of their seconds (target <= 0.1). And Blender's
# start-up: its share of a one-frame task, and of a frame of job-split's
# default 8-frame task. Needs Blender (scripts/install-deps).
set -euo pipefail
name=render_cost
source "$(dirname "$0")/render_setup.bash"
"$root/examples/render/make-job" . '.render.resolution = {width: 160, height: 120} | .render.samples = 32'
job-split --tasks 1 job.json >task.jsonl
job-run --key prov.key --store store task.jsonl >result.jsonl
proof-check --key verifier.key --tasks task.jsonl --store store --mode crop result.jsonl >verdict.jsonl
render=$(jq .render.metrics.seconds result.jsonl)
verify=$(jq .verifier_seconds verdict.jsonl)
jq -r --argjson r "$render" --argjson v "$verify" '"48 frames 160x120 at 32 samples: render \($r | . * 100 | round / 100) s, crop verification \($v | . * 100 | round / 100) s (\(.checked.crop.crops | length) crops, detection \(.detection_probability | . * 1000 | round / 1000), \(.status)): ratio \($v / $r | . * 1000 | round / 1000) (target <= 0.1)"' verdict.jsonl

# Start-up: a task of one frame and one of 8, same frames.
jq -c '.render.frames.end = 1' job.json | job-split | job-run --store store --force >one.jsonl
jq -c '.render.frames.end = 8' job.json | job-split | job-run --store store --force >eight.jsonl
for f in one eight; do
  jq -r '.render.metrics as $m | ($m.seconds - $m.render_seconds) as $s |
    "\(.render.images | length) frame(s) a task: \($m.seconds | . * 100 | round / 100) s, Blender start-up and sandbox \($s | . * 100 | round / 100) s: \($s / $m.seconds * 100 | round)% of the task"' "$f.jsonl"
done
