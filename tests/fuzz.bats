#!/usr/bin/env bats
# Type-mutation fuzzing of every tool's input: valid messages made by the
# real tools, each field replaced in turn by values of the wrong type (and
# deleted) by tests/fuzz/mutate.py, re-signed by the key the reader trusts
# so the mutant gets past the signature check. Every mutant must end with a
# documented exit status (0, 1, 64, 65, and proof-check's 3, inconclusive),
# within 20 s, and a 65 must come with a "TOOL: error:" line and no escaped
# exception or sanitizer report.
# Mutants are sampled with a fixed seed (FUZZ_SEED, default 1, printed) to
# keep the file near a minute on two cores; FUZZ_MAX raises the sample.

bats_require_minimum_version 1.5.0
load test_helper

SEED4=0404040404040404040404040404040404040404040404040404040404040404
NOW=2026-11-28T20:00:00Z
MUTATE="/usr/bin/python3 $ROOT/tests/fuzz/mutate.py"
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_MAX=${FUZZ_MAX:-120}

# The valid messages every test mutates, made once.
setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  unset GRID_KEY
  (umask 077 && printf '%s\n' "$SEED1" >buyer && printf '%s\n' "$SEED2" >prov &&
    printf '%s\n' "$SEED3" >ver && printf '%s\n' "$SEED4" >op)
  jq -c '.gemm.m = 64 | .gemm.n = 48 | .gemm.k = 32' "$ROOT/examples/jobs/gemm.json" >gemm-job.json
  jq -c '.train.steps = 20 | .train.checkpoint_every = 10' "$ROOT/examples/jobs/train.json" >train-job.json
  job-split --tasks 2 gemm-job.json | head -1 >gemm-task.jsonl
  job-split train-job.json >train-task.jsonl
  job-run --device cpu --store S --key prov gemm-task.jsonl train-task.jsonl >results.jsonl
  # A profile as if the CPU were one H100, signed by the provider.
  gpu-bench --device cpu --quick |
    jq -c '.summary.gpu_model = "H100" | .summary.exact_gemm_tflops = 50 | .summary.gpu_count = 1 | .device = "cuda"' |
    grid-key sign --key prov >profile.json
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":900}' >policy.json
  lease-bid order --key buyer --now "$NOW" --max-price 100000 --deadline 2h --need 'summary.gpu_count >= 1' \
    gemm-task.jsonl >orders.jsonl
  lease-bid bid --key prov --profile profile.json --policy policy.json --now "$NOW" orders.jsonl |
    jq -c 'select(.kind == "bid")' >bids.jsonl
  jq -nc --arg p "$PUB2" \
    '{kind:"reputation",v:1,provider:$p,accepted:3,rejected:1,score:0.9,as_of:"2026-11-28T19:00:00Z",ledger:"sha256:00"}' |
    grid-key sign --key buyer >reputations.jsonl
  lease-bid award --key buyer --now "$NOW" orders.jsonl profile.json bids.jsonl reputations.jsonl >leases.jsonl
  jq -c --arg v "$PUB3" '{kind:"verdict",v:1,result:"sha256:00",task:.task,type:"gemm",provider:.provider,
    status:"accept",modes:["sig"],lease:.id}' leases.jsonl | grid-key sign --key ver >verdicts.jsonl
  pay-settle init --ledger L.db --currency USD --key op >/dev/null
  pay-settle deposit --ledger L.db --key op --account "$PUB1" --amount 10000000 >transfers.jsonl
  pay-settle deposit --ledger L.db --key op --account "$PUB2" --amount 5000000 >>transfers.jsonl
  pay-settle apply --ledger L.db --trust /dev/null --now "$NOW" transfers.jsonl >/dev/null
  pay-settle stake --ledger L.db --key prov --amount 1000000 >stake.jsonl
  printf '%s\n' "$PUB3" >trust.txt
  # A seal the provider commits for each sealed result (quorum --seals).
  # A second provider's results and seals, so that quorum has two to count.
  job-run --device cpu --store S2 --key buyer gemm-task.jsonl train-task.jsonl >results2.jsonl
  jq -c 'select(.seal) | {kind: "seal", v: 1, task, seal}' results.jsonl | grid-key sign --key prov >seals.jsonl
  jq -c 'select(.seal) | {kind: "seal", v: 1, task, seal}' results2.jsonl | grid-key sign --key buyer >seals2.jsonl
  # A challenge, the provider's answer, and a profile slow enough to pass.
  printf '%s\n' '{"kind":"challenge","v":1,"seed":42,"n":32,"dtype":"f32","deadline_ms":60000}' >challenges.jsonl
  gpu-bench --device cpu --key prov --challenge challenges.jsonl >answers.jsonl
  printf '%s\n' '{"kind":"profile","v":1,"summary":{"exact_gemm_tflops":1e-9}}' | grid-key sign --key prov >slowbox.json
  # An infer task over the model the training task left in the store.
  jq -nc --arg m "$(jq -r 'select(.train) | .train.final.model_sha256' results.jsonl)" \
    '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m,layers:[8,32,3]},
      data:{synthetic:{kind:"blobs",rows:100,features:8,classes:3,seed:6}},batch:50}}' | job-split >infer-task.jsonl
  job-run --device cpu --store S --key prov infer-task.jsonl >infer-results.jsonl
  # An exec task over the host, whose index and seed reach the sandbox.
  jq -nc '{kind:"job",v:1,type:"exec",exec:{command:["true"],image:"host"}}' | job-split >exec-task.jsonl
  for f in gemm-task.jsonl train-task.jsonl results.jsonl stake.jsonl profile.json orders.jsonl bids.jsonl reputations.jsonl leases.jsonl \
    verdicts.jsonl transfers.jsonl seals.jsonl seals2.jsonl challenges.jsonl answers.jsonl infer-task.jsonl infer-results.jsonl \
    exec-task.jsonl; do
    [ -s "$f" ] || { echo "fixture $f is empty" >&2; return 1; }
  done
}

setup() {
  common_setup
  F=$BATS_FILE_TMPDIR
  cp "$F"/buyer "$F"/prov "$F"/ver "$F"/op .
  chmod 600 buyer prov ver op
}

# mutants NAME INPUT MUTATE-ARGS...: NAME.mut and NAME.labels from INPUT.
mutants() {
  local name=$1 input=$2
  shift 2
  $MUTATE --seed "$FUZZ_SEED" --max "$FUZZ_MAX" --labels "$name.labels" "$@" "$input" >"$name.mut" ||
    fail "mutate.py failed on $input"
  [ -s "$name.mut" ] || fail "no mutants of $input"
}

# fuzz TOOL NAME CMD...: run CMD once per mutant of NAME.mut, the word @M
# standing for a file holding the mutant. FUZZ_RESET, when set, is run
# before each (to start from a fresh ledger). Every mutant that broke the
# contract is added to BROKEN; fuzz_verdict fails listing them, so that one
# test's later inputs still run after a failure.
BROKEN=""
fuzz() {
  local tool=$1 name=$2
  shift 2
  local line label rc first i=0 report="" a args
  exec 4<"$name.labels"
  while IFS= read -r line; do
    IFS= read -r label <&4
    i=$((i + 1))
    printf '%s\n' "$line" >mutant.jsonl
    args=()
    for a in "$@"; do
      if [[ $a == @M ]]; then args+=(mutant.jsonl); else args+=("$a"); fi
    done
    [ -z "${FUZZ_RESET:-}" ] || eval "$FUZZ_RESET"
    rc=0
    timeout 20 "${args[@]}" </dev/null >/dev/null 2>err.txt || rc=$?
    first=$(head -1 err.txt)
    case $rc in
      0 | 1 | 64 | 65) ;;
      3) [ "$tool" = proof-check ] || { report+="$name $label: exit 3 from $tool: $(head -c 300 err.txt)"$'\n'; continue; } ;;
      *) report+="$name $label: exit $rc: $(head -c 300 err.txt)"$'\n'; continue ;;
    esac
    if [ "$rc" = 65 ] && [[ $first != "$tool: error:"* ]]; then
      report+="$name $label: exit 65 without '$tool: error:': $first"$'\n'
    elif grep -qE "$CRASH" err.txt; then
      report+="$name $label: exit $rc: $(grep -m1 -E "$CRASH" err.txt | head -c 300)"$'\n'
    fi
  done <"$name.mut"
  exec 4<&-
  echo "# $tool $name: $i mutants (seed $FUZZ_SEED), $(grep -c . <<<"$report") broke the contract" >&3
  BROKEN+=$report
}

# How a lease's mutants are sealed again: its order's task re-id'd, the
# order and bid re-signed, and the ids that point at them carried along, so
# that a mutant of the task gets past the id checks to the code that reads it.
LEASE=(--inner .order.task=- --inner .order=buyer --link .bid.order=.order.id --link .bid.task=.order.task.id
  --inner .bid=prov --link .task=.order.task.id --sign buyer)

# What an escaped exception, an abort or a sanitizer leaves on stderr.
CRASH='terminate called|what\(\):|json\.exception|Sanitizer|runtime error:'

fuzz_verdict() {
  [ -z "$BROKEN" ] || fail "$(printf 'mutants that broke the contract:\n%s' "$BROKEN")"
}

@test "job-split: job specs and --weights profiles" {
  jq -c . "$F/gemm-job.json" "$F/train-job.json" "$ROOT"/examples/jobs/train-sweep.json >jobs.jsonl
  mutants jobs jobs.jsonl
  fuzz job-split jobs job-split @M
  mutants weights "$F/profile.json" --sign prov
  fuzz job-split weights job-split --weights @M "$F/gemm-job.json"
  fuzz_verdict
}

@test "job-run: gemm and training tasks" {
  cat "$F/gemm-task.jsonl" "$F/train-task.jsonl" >tasks.jsonl
  mutants tasks tasks.jsonl --id
  fuzz job-run tasks job-run --device cpu --store S --key prov @M
  fuzz_verdict
}

@test "job-run: exec tasks" {
  local FUZZ_MAX=$((FUZZ_MAX / 2)) # half a sample: each mutant that passes runs a sandbox
  mutants exec "$F/exec-task.jsonl" --id
  fuzz job-run exec job-run --store S --key prov @M
  fuzz_verdict
}

@test "job-run: leases" {
  mutants leases "$F/leases.jsonl" "${LEASE[@]}"
  fuzz job-run leases job-run --device cpu --store S --key prov @M
  fuzz_verdict
}

@test "proof-check: results with --tasks, under every mode that reads them" {
  cp -r "$F/S" S
  mutants results "$F/results.jsonl" --sign prov
  local mode
  for mode in sig,trace,spot freivalds rows quorum pinpoint; do
    fuzz proof-check results proof-check --device cpu --key ver --store S --mode "$mode" \
      --tasks "$F/gemm-task.jsonl" --tasks "$F/train-task.jsonl" @M
  done
  mutants tasks "$F/gemm-task.jsonl" --id
  fuzz proof-check tasks proof-check --device cpu --key ver --store S --tasks @M "$F/results.jsonl"
  fuzz_verdict
}

@test "proof-check: --leases with valid results" {
  local FUZZ_MAX=$((FUZZ_MAX / 2)) # half a sample each: the file stays near its minute
  cp -r "$F/S" S
  mutants leases "$F/leases.jsonl" "${LEASE[@]}"
  fuzz proof-check leases proof-check --device cpu --key ver --store S --mode sig,spot --leases @M "$F/results.jsonl"
  fuzz_verdict
}

@test "proof-check: --seals under quorum" {
  local FUZZ_MAX=$((FUZZ_MAX / 2)) # half a sample each: the file stays near its minute
  mutants seals "$F/seals.jsonl" --sign prov
  fuzz proof-check seals proof-check --key ver --mode sig,quorum --seals @M --seals "$F/seals2.jsonl" \
    "$F/results.jsonl" "$F/results2.jsonl"
  fuzz_verdict
}

@test "proof-check: challenges, their answers and the --profile they are timed against" {
  local FUZZ_MAX=$((FUZZ_MAX / 2)) # half a sample each: the file stays near its minute
  local ch=(proof-check --device cpu --key ver --mode sig,challenge)
  mutants challenges "$F/challenges.jsonl"
  fuzz proof-check challenges "${ch[@]}" --challenges @M --profile "$F/slowbox.json" "$F/answers.jsonl"
  mutants answers "$F/answers.jsonl" --sign prov
  fuzz proof-check answers "${ch[@]}" --challenges "$F/challenges.jsonl" --profile "$F/slowbox.json" @M
  mutants profiles "$F/slowbox.json" --sign prov
  fuzz proof-check profiles "${ch[@]}" --challenges "$F/challenges.jsonl" --profile @M "$F/answers.jsonl"
  fuzz_verdict
}

@test "job-run and proof-check: infer tasks and their results" {
  local FUZZ_MAX=$((FUZZ_MAX / 2)) # half a sample each: the file stays near its minute
  cp -r "$F/S" S
  mutants infer "$F/infer-task.jsonl" --id
  fuzz job-run infer job-run --device cpu --store S --key prov @M
  mutants results "$F/infer-results.jsonl" --sign prov
  fuzz proof-check results proof-check --device cpu --key ver --store S --mode sig,trace,spot \
    --tasks "$F/infer-task.jsonl" @M
  fuzz_verdict
}

@test "lease-bid order: tasks" {
  mutants tasks "$F/gemm-task.jsonl" --id
  fuzz lease-bid tasks lease-bid order --key buyer --now "$NOW" --max-price 100000 --deadline 2h @M
  fuzz_verdict
}

@test "lease-bid bid: orders, profiles and --leases" {
  mutants orders "$F/orders.jsonl" --inner .task=buyer --sign buyer
  fuzz lease-bid orders lease-bid bid --key prov --profile "$F/profile.json" --policy "$F/policy.json" --now "$NOW" @M
  mutants profiles "$F/profile.json" --sign prov
  fuzz lease-bid profiles lease-bid bid --key prov --profile @M --policy "$F/policy.json" --now "$NOW" "$F/orders.jsonl"
  mutants leases "$F/leases.jsonl" "${LEASE[@]}"
  fuzz lease-bid leases lease-bid bid --key prov --profile "$F/profile.json" --policy "$F/policy.json" --now "$NOW" \
    --max-leases 2 --leases @M "$F/orders.jsonl"
  fuzz_verdict
}

@test "lease-bid award: orders, bids, profiles and reputations" {
  local aw=(lease-bid award --key buyer --now "$NOW")
  mutants orders "$F/orders.jsonl" --sign buyer
  fuzz lease-bid orders "${aw[@]}" @M "$F/profile.json" "$F/bids.jsonl" "$F/reputations.jsonl"
  mutants bids "$F/bids.jsonl" --sign prov
  fuzz lease-bid bids "${aw[@]}" "$F/orders.jsonl" "$F/profile.json" @M "$F/reputations.jsonl"
  mutants profiles "$F/profile.json" --sign prov
  fuzz lease-bid profiles "${aw[@]}" "$F/orders.jsonl" @M "$F/bids.jsonl" "$F/reputations.jsonl"
  mutants reputations "$F/reputations.jsonl" --sign buyer
  fuzz lease-bid reputations "${aw[@]}" "$F/orders.jsonl" "$F/profile.json" "$F/bids.jsonl" @M
  fuzz_verdict
}

@test "pay-settle apply: leases, verdicts and transfers" {
  FUZZ_RESET='cp "$F/L.db" L.db'
  local ap=(pay-settle apply --ledger L.db --trust "$F/trust.txt" --now "$NOW")
  mutants leases "$F/leases.jsonl" "${LEASE[@]}"
  fuzz pay-settle leases "${ap[@]}" @M
  mutants verdicts "$F/verdicts.jsonl" --sign ver
  fuzz pay-settle verdicts "${ap[@]}" "$F/leases.jsonl" @M
  mutants transfers "$F/transfers.jsonl" --sign op
  fuzz pay-settle transfers "${ap[@]}" @M
  mutants stakes "$F/stake.jsonl" --sign prov
  fuzz pay-settle stakes "${ap[@]}" @M
  fuzz_verdict
}

@test "grid-key verify: any message, unsigned mutants" {
  cat "$F"/{gemm-task,train-task,results,stake,orders,bids,reputations,leases,verdicts,transfers}.jsonl "$F/profile.json" >all.jsonl
  mutants all all.jsonl
  fuzz grid-key all grid-key verify @M
  fuzz_verdict
}

@test "the harness catches a crash, an escaped exception and a 65 without the tool's error line" {
  echo '{"kind":"x","v":1,"a":1}' >m.jsonl
  FUZZ_MAX=0 mutants m m.jsonl
  cat >crashy <<'S'
#!/bin/sh
case $(cat "$1") in
  *'"a":5}'*) exit 134 ;;
  *'"a":"x"}'*) echo 'crashy: error: [json.exception.type_error.302] type must be number' >&2; exit 65 ;;
  *'"a":null}'*) echo 'something went wrong' >&2; exit 65 ;;
esac
echo 'crashy: error: bad input (input line 1, field .a)' >&2
exit 65
S
  chmod +x crashy
  fuzz crashy m ./crashy @M
  [ "$(grep -c . <<<"$BROKEN")" -eq 3 ] || fail "want 3 mutants caught, got: $BROKEN"
  [[ $BROKEN == *'.a = 5: exit 134'* ]] || fail "exit 134 not caught: $BROKEN"
  [[ $BROKEN == *'.a = "x": exit 65: crashy: error: [json.exception'* ]] || fail "exception not caught: $BROKEN"
  [[ $BROKEN == *".a = null: exit 65 without 'crashy: error:'"* ]] || fail "unnamed 65 not caught: $BROKEN"
}
