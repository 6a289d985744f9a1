#!/usr/bin/env bats
# lease-bid: orders, bids and awards through the real binary. Profiles come
# from gpu-bench --quick on the CPU (edited and re-signed with grid-key sign
# to fake a GPU), tasks from job-split on examples/jobs, reputation messages
# are written by hand in pay-settle's form and signed with grid-key sign.

bats_require_minimum_version 1.5.0
load test_helper

# A stranger: neither buyer nor provider.
SEED4=0404040404040404040404040404040404040404040404040404040404040404

# Every run acts at this time, so nothing races the clock.
NOW=2026-11-28T20:00:00Z
# 3.6e15 flops: one TFLOP-hour of work; 72 s at 50 exact TFLOP/s.
BIG=3600000000000000

setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  gpu-bench --device cpu --quick >measured.json
  job-split "$ROOT/examples/jobs/gemm.json" >gemm-task.jsonl
}

setup() {
  common_setup
  F=$BATS_FILE_TMPDIR
  write_key buyer "$SEED1"
  write_key prov "$SEED2"
  write_key prov2 "$SEED3"
  write_key stranger "$SEED4"
  cp "$F/gemm-task.jsonl" .
  # A task of one TFLOP-hour (its id filled in again after the edit).
  jq -c --argjson f "$BIG" '.flops = $f' gemm-task.jsonl | grid-key id >big-task.jsonl
  cat >policy.json <<'P'
{"basis":"gpu_hour","rates_micros":{"H100":3000000,"*":500000},"start_fee_micros":1000}
P
  profile prov H100 50 >p2.json
  profile prov2 H100 50 >p3.json
}

# profile KEY MODEL TFLOPS: the measured CPU profile as if it had one GPU
# of MODEL doing TFLOPS exact TFLOP/s, signed with KEY. Without its kinds
# section, as an older gpu-bench made them: run times come from flops at
# that rate (the per-kind estimate has tests of its own below).
profile() {
  jq -c --arg m "$2" --argjson r "$3" \
    'del(.kinds) | .summary.gpu_model = $m | .summary.exact_gemm_tflops = $r | .summary.gpu_count = 1 | .device = "cuda"' \
    "$F/measured.json" | grid-key sign --key "$1"
}

# kinds_profile KEY [JQ]: the measured CPU profile, kinds section and all,
# edited by JQ, signed with KEY.
kinds_profile() {
  jq -c "${2:-.}" "$F/measured.json" | grid-key sign --key "$1"
}

# long_train STEPS: the train example's task with STEPS steps, 11 checkpoints.
long_train() {
  jq -c --argjson s "$1" '.train.steps = $s | .train.checkpoint_every = ($s / 10)' "$ROOT/examples/jobs/train.json" |
    job-split
}

# order ARGS... < tasks: orders by the buyer at $NOW.
order() {
  lease-bid order --key buyer --now "$NOW" "$@"
}

# bid KEY PROFILE ARGS... < orders: bids at $NOW.
bid() {
  local key=$1 prof=$2
  shift 2
  lease-bid bid --key "$key" --profile "$prof" --now "$NOW" "$@"
}

# reputation PROVIDER SCORE AS_OF SIGNER: pay-settle's reputation message.
reputation() {
  jq -nc --arg p "$1" --argjson s "$2" --arg t "$3" \
    '{kind:"reputation",v:1,provider:$p,accepted:3,rejected:1,score:$s,as_of:$t,ledger:"sha256:00"}' |
    grid-key sign --key "$4"
}

# script BODY: an executable price script holding BODY.
script() {
  printf '#!/bin/sh\n%s\n' "$1" >price.sh
  chmod +x price.sh
}

# ---------------------------------------------------------------- order

@test "order: one signed order per task, with every field of the contract" {
  job-split --tasks 3 "$ROOT/examples/jobs/gemm.json" >tasks.jsonl
  run -0 --separate-stderr order --max-price 5000 --deadline 2h --need 'summary.gpu_count >= 1' \
    --min-reputation 0.6 --bid-deposit 250 tasks.jsonl
  [ "${#lines[@]}" -eq 3 ]
  assert_jq_all '[.[].kind] | unique' '["order"]'
  assert_jq_all '[.[].buyer] | unique' "[\"$PUB1\"]"
  assert_jq_all '[.[].sig.by] | unique' "[\"$PUB1\"]"
  assert_jq_all '[.[].deadline] | unique' '["2026-11-28T22:00:00Z"]'
  assert_jq_all '[.[].created] | unique' "[\"$NOW\"]"
  assert_jq_all '[.[] | [.max_price_micros, .bid_deposit_micros, .min_reputation, .need]] | unique' \
    '[[5000,250,0.6,"summary.gpu_count >= 1"]]'
  assert_jq_all '[.[] | .flops == .task.flops] | all' true
  diff <(jq -c .task <<<"$output") <(jq -c . tasks.jsonl)
  grid-key verify <<<"$output" >/dev/null
}

@test "order: defaults leave need and min_reputation out; deadline as RFC 3339; GRID_KEY" {
  GRID_KEY=buyer run -0 --separate-stderr lease-bid order --now "$NOW" --max-price 10 --deadline 2026-11-29T00:00:00Z gemm-task.jsonl
  assert_jq '.deadline' 2026-11-29T00:00:00Z
  assert_jq 'has("need") or has("min_reputation")' false
  assert_jq .bid_deposit_micros 0
}

@test "order: data or a model only the buyer's disk holds is 65 naming the field, saying how to publish it" {
  train() {  # train [JQ OPTIONS] FILTER: the example's job edited by FILTER, split
    jq -c "$@" "$ROOT/examples/jobs/train.json" | job-split
  }
  sha=sha256:$(printf '%064d' 0)
  refused() {
    run -65 --separate-stderr order --max-price 100 --deadline 2h <<<"$1"
    assert_output ''
    [[ $stderr == "lease-bid: error: "*"(input line 1, field $2)" ]] || fail "want field $2; stderr was: $stderr"
  }
  refused "$(train '.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}')" .train.data.x.path
  stderr_has "x.csv is a path on this machine, which a provider cannot read: host the file at a URL"
  stderr_has 'name it by "url" and "sha256"'
  refused "$(train --arg s "$sha" '.train.data = {"format":"csv","x":{"url":"https://example.org/x.csv","sha256":$s},"y":{"path":"y.csv"}}')" \
    .train.data.y.path
  infer='{"kind":"job","v":1,"type":"infer","infer":{"model":{"sha256":"'$sha'"},"data":{"synthetic":{"kind":"blobs","rows":300,"features":8,"classes":3,"seed":5}},"batch":64}}'
  refused "$(job-split <<<"$infer")" .infer.model.url
  stderr_has "job-run --publish URL has it at URL/sha256/"
  # Named by URL and SHA-256, they are orders (a file:// URL where the
  # providers share the buyer's file system).
  run -0 --separate-stderr order --max-price 100 --deadline 2h \
    <<<"$(train --arg s "$sha" '.train.data = {"format":"csv","x":{"url":"https://example.org/x.csv","sha256":$s},"y":{"url":"file:///shared/y.csv","sha256":$s}}')"
  assert_jq .kind order
  run -0 --separate-stderr order --max-price 100 --deadline 2h \
    <<<"$(jq -c '.infer.model.url = "https://example.org/m.bin"' <<<"$infer" | job-split)"
  assert_jq .kind order
}

@test "order: a task job-run would refuse for its content is 65 naming the field; flops is an integer" {
  task=$(job-split "$ROOT/examples/jobs/train.json")
  for edit in '.train.data.synthetic.rows = 33554433	.train.data.synthetic.rows' \
    '.train.data.shuffle = true	.train.data.shuffle' '.train.colour = 1	.train.colour'; do
    run -65 --separate-stderr order --max-price 100 --deadline 2h <<<"$(jq -c "${edit%%	*}" <<<"$task" | grid-key id)"
    [[ $stderr == *"(input line 1, field ${edit##*	})" ]] || fail "want field ${edit##*	}; stderr was: $stderr"
  done
  run -0 --separate-stderr order --max-price 100 --deadline 2h <<<"$task"
  [[ $output =~ ^\{[^{]*\"flops\":13516800, ]] || fail "want the order's flops an integer: ${output:0:200}"
  # A task that carries a float flops (job-split before) keeps its id, and
  # its order writes the integer.
  float=$(sed 's/"flops":\([0-9]*\),/"flops":\1.0,/' <<<"$task")
  [[ $float == *'"flops":13516800.0,'* ]] || fail "no float flops in: $float"
  run -0 --separate-stderr order --max-price 100 --deadline 2h <<<"$float"
  [[ $output =~ ^\{[^{]*\"flops\":13516800, ]] || fail "want the order's flops an integer: ${output:0:200}"
}

@test "order: bad flags exit 64" {
  run -64 --separate-stderr order --deadline 2h <gemm-task.jsonl
  stderr_has "--max-price"
  run -64 --separate-stderr order --max-price 0 --deadline 2h <gemm-task.jsonl
  stderr_has "--max-price must be a positive"
  run -64 --separate-stderr order --max-price 10 --deadline 2026-11-28T19:00:00Z <gemm-task.jsonl
  stderr_has "is not after --now"
  run -64 --separate-stderr order --max-price 10 --deadline soon <gemm-task.jsonl
  stderr_has "--deadline soon"
  run -64 --separate-stderr order --max-price 10 --deadline 2h --min-reputation 2 <gemm-task.jsonl
  stderr_has "--min-reputation"
  run -64 --separate-stderr order --max-price 10 --deadline 2h --bid-deposit -1 <gemm-task.jsonl
  run -64 --separate-stderr lease-bid order --max-price 10 --deadline 2h <gemm-task.jsonl
  stderr_has "give --key"
  run -64 --separate-stderr lease-bid
}

@test "order: --max-price or --bid-deposit above 2^53 - 1 is 64 naming the flag, before any input is read" {
  # 2^53 - 1 is the most the ledger settles: an order beyond it could be
  # awarded and never paid.
  run -64 --separate-stderr order --max-price 9007199254740992 --deadline 2h <gemm-task.jsonl
  stderr_has "--max-price must be a positive number of micro-units, at most 2^53 - 1 (9007199254740991)"
  [ -z "$output" ]
  run -64 --separate-stderr order --max-price 10 --bid-deposit 9007199254740992 --deadline 2h <gemm-task.jsonl
  stderr_has "--bid-deposit must not be negative nor above 2^53 - 1"
  # Checked first: input that is not there is never opened.
  run -64 --separate-stderr order --max-price 9007199254740993 --deadline 2h no-such-file.jsonl
  stderr_has "--max-price"
  # 2^53 - 1 itself is in range, and bid and award read the order back.
  run -0 --separate-stderr order --max-price 9007199254740991 --bid-deposit 9007199254740991 --deadline 2h \
    <gemm-task.jsonl
  assert_jq '[.max_price_micros, .bid_deposit_micros] | map(tostring) | join(" ")' "9007199254740991 9007199254740991"
  echo "$output" >orders.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json orders.jsonl
  [ "${#lines[@]}" -eq 2 ]
  # An order signed with 2^53 is refused where it is read.
  jq -c '.max_price_micros = 9007199254740992 | del(.sig)' orders.jsonl | grid-key sign --key buyer >big.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json big.jsonl
  stderr_has "field .max_price_micros"
}

@test "order: a --need path no profile has is warned of, naming the members there are; the order is still made" {
  run -0 --separate-stderr order --max-price 100 --deadline 1h \
    --need 'summary.gpu_modle == "H100" and summary.gpu_count >= 1 and gpu[0].x > 1 and summary.gpu_modle != "x"' \
    <gemm-task.jsonl
  [ "${#lines[@]}" -eq 1 ]
  assert_jq .kind order
  [ "$(grep -c 'summary.gpu_modle' <<<"$stderr")" -eq 1 ] || fail "stderr was: $stderr"
  stderr_has "lease-bid: warning: --need names summary.gpu_modle, but a profile's summary has no member \"gpu_modle\" (it has cpu_model, exact_gemm_tflops,"
  stderr_has "gpu_model"
  stderr_has "warning: --need names gpu[0].x, but a profile has no member \"gpu\" (it has device,"
  # summary.gpu_count is a field: two warnings, not three.
  [ "$(grep -c 'warning:' <<<"$stderr")" -eq 2 ] || fail "stderr was: $stderr"
  # Below the top: a misspelled kind, a list named as an object, a value
  # named as an object.
  run -0 --separate-stderr order --max-price 100 --deadline 1h \
    --need 'kinds.exact.trian.step < 0.01 or gpus.name == "x" or summary.gpu_count.max > 1' <gemm-task.jsonl
  stderr_has "warning: --need names kinds.exact.trian.step, but a profile's kinds.exact has no member \"trian\" (it has exec, gemm, infer, render, skipped, train)"
  stderr_has "warning: --need names gpus.name, but a profile's gpus is a list: name an element by its index, as gpus[0]"
  stderr_has "warning: --need names summary.gpu_count.max, but a profile's summary.gpu_count is a value, with no members"
  [ "$(grep -c 'warning:' <<<"$stderr")" -eq 3 ] || fail "stderr was: $stderr"
  # Every path of a real profile, to each of its values, is known: no warning.
  local need
  need=$(jq -r '[paths(scalars) | map(if type == "number" then "[\(.)]" else ".\(.)" end) | join("")[1:]] |
    unique | join(" or ")' "$F/measured.json")
  [ "$(wc -w <<<"$need")" -gt 200 ] || fail "too few paths: $need"
  run -0 --separate-stderr order --max-price 100 --deadline 1h --need "$need" <gemm-task.jsonl
  [ -z "$stderr" ] || fail "need '$need' was warned of: $stderr"
  # -q silences it, as every human note.
  run -0 --separate-stderr order -q --max-price 100 --deadline 1h --need 'summary.gpu_modle == "H100"' <gemm-task.jsonl
  [ -z "$stderr" ]
}

@test "order: a malformed --need exits 64 naming the position" {
  run -64 --separate-stderr order --max-price 10 --deadline 2h --need 'summary.gpu_count >' <gemm-task.jsonl
  assert_output ''
  stderr_has "at position 20: expression ends where a value should come"
  run -64 --separate-stderr order --max-price 10 --deadline 2h --need 'device = "cuda"' <gemm-task.jsonl
  stderr_has "at position 8: '=' is not an operator"
  run -64 --separate-stderr order --max-price 10 --deadline 2h --need '(a == 1 or b' <gemm-task.jsonl
  stderr_has "at position 13: expected ')'"
}

@test "order: a task with a wrong id, or another kind, is bad input (65); --keep-going goes on" {
  jq -c '.flops = 1' gemm-task.jsonl >forged.jsonl
  run -65 --separate-stderr order --max-price 10 --deadline 2h forged.jsonl
  stderr_matches "task: id does not match.*input line 1 of forged.jsonl, field .id"
  # Signed: the id at fault is named, not the signature over it.
  grid-key sign --key buyer gemm-task.jsonl | jq -c '.flops = 1' >forged.jsonl
  run -65 --separate-stderr order --max-price 10 --deadline 2h forged.jsonl
  stderr_matches "task: id does not match.*input line 1 of forged.jsonl, field .id"
  grid-key sign --key buyer gemm-task.jsonl | jq -c '.id = 5' >forged.jsonl
  run -65 --separate-stderr order --max-price 10 --deadline 2h forged.jsonl
  stderr_has "task: id is not a string (input line 1 of forged.jsonl, field .id)"
  grid-key sign --key buyer gemm-task.jsonl | jq -c '.sig.sig = "00"' >forged.jsonl
  run -65 --separate-stderr order --max-price 10 --deadline 2h forged.jsonl
  stderr_has "(input line 1 of forged.jsonl, field .sig)"
  run -65 --separate-stderr order --max-price 10 --deadline 2h "$F/measured.json"
  stderr_has "expected a task message"
  run -65 --separate-stderr order --keep-going --max-price 10 --deadline 2h forged.jsonl gemm-task.jsonl
  [ "${#lines[@]}" -eq 1 ]
}

# ---------------------------------------------------------------- bid: policy

@test "bid: the profile first, then one signed bid per order, priced by the policy per GPU-hour" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json orders.jsonl
  [ "${#lines[@]}" -eq 2 ]
  diff <(head -1 <<<"$output") p2.json
  local b
  b=$(sed -n 2p <<<"$output")
  grid-key verify --by "$PUB2" <<<"$b" >/dev/null
  output=$b
  assert_jq .kind bid
  assert_jq .order "$(jq -r .id orders.jsonl)"
  assert_jq .task "$(jq -r .id big-task.jsonl)"
  assert_jq .provider "$PUB2"
  assert_jq .profile "$(jq -r .id p2.json)"
  assert_jq '.hardware | [.device, .gpu_model, .gpu_count, .exact_gemm_tflops] | tojson' '["cuda","H100",1,50]'
  # 72 s = 0.02 GPU-hours at 3 000 000 a GPU-hour, plus the 1000 start fee.
  assert_jq .price_micros 61000
  assert_jq .estimated_seconds 72
  assert_jq '.pricing | [.method, .basis, .rate_key, .rate_micros, .start_fee_micros, .clamped] | tojson' \
    '["policy","gpu_hour","H100",3000000,1000,null]'
  assert_jq .expires 2026-11-28T21:00:00Z
  assert_jq .created "$NOW"
  assert_jq .deposit_micros 0
}

@test "bid: per TFLOP-hour, the * rate, floor and ceiling" {
  order --max-price 100000000 --deadline 2h <big-task.jsonl >orders.jsonl
  profile prov A100 10 >a100.json
  echo '{"basis":"tflop_hour","rates_micros":{"H100":9,"*":700000},"start_fee_micros":5}' >p.json
  run -0 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 700005
  assert_jq .pricing.rate_key '*'
  echo '{"basis":"tflop_hour","rates_micros":{"*":700000},"floor_micros":900000}' >p.json
  run -0 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 900000
  assert_jq .pricing.clamped floor
  echo '{"basis":"tflop_hour","rates_micros":{"*":700000},"ceiling_micros":1234}' >p.json
  run -0 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 1234
  assert_jq .pricing.clamped ceiling
  echo '{"basis":"tflop_hour","rates_micros":{"H100":1}}' >p.json
  run -0 --separate-stderr bid prov a100.json --policy p.json --explain orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has 'no rate for GPU model A100'
  echo '{"basis":"per_second","rates_micros":{"*":1}}' >p.json
  run -65 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  stderr_has '.basis'
  # A field the policy does not know (a typo of ceiling_micros) is never
  # dropped in silence.
  echo '{"basis":"tflop_hour","rates_micros":{"*":1},"ceilling_micros":2500}' >p.json
  run -65 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  stderr_has 'unknown field "ceilling_micros" (known: basis, rates_micros, start_fee_micros, floor_micros, ceiling_micros)'
  stderr_has 'field .ceilling_micros'
  # A zero rate with no fee or floor prices the order at 0: no bid.
  echo '{"basis":"tflop_hour","rates_micros":{"*":0}}' >p.json
  run -0 --separate-stderr bid prov a100.json --policy p.json --explain orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has 'the policy prices it at 0 micro-units (no rate, start fee or floor): no bid'
  # The policy is read as messages are: a repeated rate is refused, not one of them picked.
  echo '{"basis":"tflop_hour","rates_micros":{"*":700000,"*":1}}' >p.json
  run -65 --separate-stderr bid prov a100.json --policy p.json orders.jsonl
  stderr_has '--policy p.json: a member name appears twice in one object'
  stderr_has '.rates_micros.*'
}

@test "bid --explain: why each skipped order got no bid" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >o-ok.jsonl
  order --max-price 100000 --deadline 2h --need 'summary.gpu_model == "A100"' <big-task.jsonl >o-model.jsonl
  order --max-price 100000 --deadline 2h --need 'gemm.bf16.tflops >= 500' <big-task.jsonl >o-missing.jsonl
  order --max-price 100 --deadline 2h <big-task.jsonl >o-cheap.jsonl
  order --max-price 100000 --deadline 1m <big-task.jsonl >o-short.jsonl
  jq -c '.max_price_micros = 99999999' o-ok.jsonl >o-forged.jsonl
  lease-bid order --key buyer --max-price 100000 --deadline 2h --now 2026-11-28T17:00:00Z <big-task.jsonl >o-past.jsonl
  cat o-ok.jsonl o-model.jsonl o-missing.jsonl o-cheap.jsonl o-short.jsonl o-forged.jsonl o-past.jsonl >orders.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json --explain orders.jsonl
  [ "${#lines[@]}" -eq 2 ]
  output=$(tail -1 <<<"$output")
  assert_jq .order "$(jq -r .id o-ok.jsonl)"
  stderr_has "$(jq -r .id o-model.jsonl) (task $(jq -r .id big-task.jsonl)): no bid: the requirement is not met: summary.gpu_model is \"H100\", not == \"A100\""
  stderr_has "$(jq -r .id o-missing.jsonl) (task $(jq -r .id big-task.jsonl)): no bid: the requirement is not met: gemm.bf16.tflops is missing from the profile"
  stderr_has "our price 61000 is above the order's max_price_micros 100"
  stderr_has "the deadline is too short: about 72 s"
  stderr_has "the order's signature does not hold"
  stderr_has "its deadline 2026-11-28T19:00:00Z has passed"
  # Without --explain: the same bids, nothing on stderr.
  run -0 --separate-stderr bid prov p2.json --policy policy.json orders.jsonl
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 2 ]
  # A profile claiming next to no speed: the seconds are huge, not a wrapped
  # negative number.
  profile prov H100 1e-300 >crawl.json
  run -0 --separate-stderr bid prov crawl.json --policy policy.json --explain o-ok.jsonl
  stderr_matches 'the deadline is too short: about [0-9]{30,} s at'
}

@test "bid: a long train task's estimate comes from the profile's kinds, near job-run's own time" {
  long_train 100000 >train-task.jsonl
  order --max-price 100000000 --deadline 1h <train-task.jsonl >o.jsonl
  kinds_profile prov >mine.json
  run -0 --separate-stderr bid prov mine.json --policy policy.json o.jsonl
  est=$(tail -1 <<<"$output" | jq .estimated_seconds)
  start=$(date +%s.%N)
  GRID_KEY=prov job-run --device cpu --store store train-task.jsonl >/dev/null
  took=$(echo "$(date +%s.%N) - $start" | bc)
  # The flops alone said a thousandth of this; generous bounds, as the
  # machine is shared: make bench holds the estimate to 0.67 .. 1.5.
  ratio=$(echo "$est / $took" | bc -l)
  echo "estimated $est s, job-run took $took s, ratio $ratio" >&3
  [ "$(echo "$ratio >= 0.33 && $ratio <= 3" | bc -l)" = 1 ]
}

# ms_step_order DEADLINE: train-task.jsonl, 100000 steps; mine.json, a
# profile whose train step costs a millisecond and nothing else, so that
# the task is 100 s whatever the machine; o.jsonl, its order due in DEADLINE.
ms_step_order() {
  long_train 100000 >train-task.jsonl
  kinds_profile prov '.kinds.exact.train = {task: 0, step: 0.001, mrow: 0, gflop: 0, state_mb: 0, store_write: 0,
    store_mb: 0, data_mvalue: 0} | .summary.gpu_count = 1' >mine.json
  order --max-price 100000000 --deadline "$1" <train-task.jsonl >o.jsonl
}

@test "bid: an order whose deadline is shorter than its kind's estimate gets no bid; --explain names it" {
  ms_step_order 60s
  run -0 --separate-stderr bid prov mine.json --policy policy.json --explain o.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has "$(jq -r .id o.jsonl) (task $(jq -r .id train-task.jsonl)): no bid: the deadline is too short: about 100 s by kinds.exact.train of the profile, 150 s with --margin 1.5, 60 s left"
  # The hour's rate prices the 100 s too: 500000 * 100 / 3600, plus the start fee.
  order --max-price 100000000 --deadline 1h <train-task.jsonl >long.jsonl
  run -0 --separate-stderr bid prov mine.json --policy policy.json long.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .estimated_seconds 100
  assert_jq .price_micros 14889
}

@test "bid --margin: the estimate times it must meet the deadline; default 1.5; out of range is 64" {
  ms_step_order 120s
  run -0 --separate-stderr bid prov mine.json --policy policy.json --explain o.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has "about 100 s by kinds.exact.train of the profile, 150 s with --margin 1.5, 120 s left"
  run -0 --separate-stderr bid prov mine.json --policy policy.json --margin 1.1 o.jsonl
  [ "${#lines[@]}" -eq 2 ]
  output=$(tail -1 <<<"$output")
  assert_jq .estimated_seconds 100
  run -0 --separate-stderr bid prov mine.json --policy policy.json --margin 1.3 --explain o.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has "130 s with --margin 1.3, 120 s left"
  for bad in 0.5 0 1001 abc; do
    run -64 --separate-stderr bid prov mine.json --policy policy.json --margin "$bad" o.jsonl
    assert_output ''
    stderr_has "--margin"
  done
}

@test "bid: exec and render tasks are estimated from the profile's kinds: sandbox start and wall limit; Blender's start and rate" {
  kinds_profile prov >mine.json
  # exec: job-run's measured time on a task that runs nothing (the
  # sandbox's start-up), plus the program's wall-time limit, the most it
  # may run.
  echo '{"kind":"job","v":1,"type":"exec","exec":{"command":["true"],"image":"host","limits":{"wall_seconds":40}}}' |
    job-split >exec-task.jsonl
  order --max-price 100000000 --deadline 2h <exec-task.jsonl >o.jsonl
  run -0 --separate-stderr bid prov mine.json --policy policy.json o.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq ".estimated_seconds - ($(jq .kinds.exact.exec.task mine.json) + 40) | fabs < 1e-9" true
  order --max-price 100000000 --deadline 50s <exec-task.jsonl >short.jsonl
  run -0 --separate-stderr bid prov mine.json --policy policy.json --explain short.jsonl
  stderr_matches 'no bid: the deadline is too short: about 4[01] s by kinds\.exact\.exec of the profile, 6[0-2] s with --margin 1\.5'
  # render: job-run's and Blender's start, the frames, their pixels, their
  # pixel samples at the measured rate, the store writes.
  jq -c '.render.scene = {sha256: "sha256:\("ab" * 32)", url: "https://scenes.example/s.blend"} | .render.frames.end = 6' \
    "$ROOT/examples/render/job.json" | job-split | head -1 >render-task.jsonl
  order --max-price 100000000 --deadline 2h <render-task.jsonl >o.jsonl
  run -0 --separate-stderr bid prov mine.json --policy policy.json o.jsonl
  output=$(tail -1 <<<"$output")
  want=$(jq -s '.[0].kinds.exact.render as $c | .[1].render as $r | ($r.frames.end - $r.frames.start + 1) as $f |
    $c.task + $c.blender_start + $f * $c.frame + $c.mpixel * $f * 96 * 64 / 1e6 +
    $c.msample * $f * 96 * 64 * 16 / 1e6 + $c.store_write * ($f + 2)' \
    mine.json render-task.jsonl)
  assert_jq ".estimated_seconds - $want | fabs < 1e-9" true
  assert_jq ".estimated_seconds > $(jq .render.startup_seconds mine.json)" true
}

@test "bid --explain: a profile without kinds, or a unit, or a task it cannot count, falls back to flops and says so" {
  run -0 --separate-stderr bid prov p2.json --policy policy.json --explain <(order --max-price 100000 --deadline 2h <gemm-task.jsonl)
  [ "${#lines[@]}" -eq 2 ]
  stderr_has "lease-bid: the profile has no kinds section (a gpu-bench before per-kind costs, or --only): run times are estimated from flops at 50.000000 exact TFLOP/s"
  output=$(tail -1 <<<"$output")
  assert_jq '.estimated_seconds == (262144 * 512 * 2 / 50e12)' true
  # An infer task that names no model widths has no countable work.
  # (Published, as an order's model must be.)
  job-split "$ROOT/examples/jobs/infer.json" | head -1 |
    jq -c 'del(.infer.model.layers) | .infer.model.url = "https://models.example/m.npy"' | grid-key id >infer-task.jsonl
  kinds_profile prov >mine.json
  run -0 --separate-stderr bid prov mine.json --policy policy.json --explain <(order --max-price 100000 --deadline 2h <infer-task.jsonl)
  [ "${#lines[@]}" -eq 2 ]
  stderr_has "not the task's kind: the infer task names no model.layers, so its work is unknown"
  # A profile of a gpu-bench that did not yet measure a unit the kind now
  # counts (render's mpixel): flops, and the provider is told to take it again.
  jq -c '.render.scene = {sha256: "sha256:\("ab" * 32)", url: "https://scenes.example/s.blend"}' \
    "$ROOT/examples/render/job.json" | job-split | head -1 >render-task.jsonl
  kinds_profile prov 'del(.kinds.exact.render.mpixel)' >old.json
  run -0 --separate-stderr bid prov old.json --policy policy.json --explain <(order --max-price 100000000 --deadline 2h <render-task.jsonl)
  [ "${#lines[@]}" -eq 2 ]
  stderr_has "run time estimated from flops at the exact GEMM rate, not the task's kind: kinds.exact.render: no cost for the unit \"mpixel\" (a profile of an older gpu-bench: take it again)"
  # Without --explain the provider's cron is told too, once a reason; a
  # profile with no kinds section at all (an older gpu-bench's) is not a
  # surprise, and says nothing.
  run -0 --separate-stderr bid prov old.json --policy policy.json \
    <(order --max-price 100000000 --deadline 2h <render-task.jsonl; order --max-price 100000001 --deadline 2h <render-task.jsonl)
  [ "${#lines[@]}" -eq 3 ]
  assert_equal "$stderr" "lease-bid: warning: 2 order(s)' run time estimated from flops at the exact GEMM rate, not the task's kind: kinds.exact.render: no cost for the unit \"mpixel\" (a profile of an older gpu-bench: take it again) (--explain names each)"
  run -0 --separate-stderr bid prov p2.json --policy policy.json <(order --max-price 100000 --deadline 2h <gemm-task.jsonl)
  assert_equal "$stderr" ''
}

@test "bid: the profile must be --key's, trusted, and the pricing flags exclusive" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  run -64 --separate-stderr bid prov p3.json --policy policy.json orders.jsonl
  stderr_has "is signed by $PUB3, not by the --key $PUB2"
  jq -c '.summary.exact_gemm_tflops = 9999' p2.json >tampered.json
  run -65 --separate-stderr bid prov tampered.json --policy policy.json orders.jsonl
  stderr_has "profile not trusted"
  run -64 --separate-stderr bid prov p2.json orders.jsonl
  stderr_has "exactly one of --policy FILE and --price-script CMD"
  run -64 --separate-stderr bid prov p2.json --policy policy.json --price-script ./x orders.jsonl
  run -64 --separate-stderr bid prov p2.json --policy policy.json --expires 0s orders.jsonl
  run -64 --separate-stderr bid prov p2.json --policy policy.json --script-jobs 0 orders.jsonl
  run -64 --separate-stderr bid prov p2.json --policy policy.json --script-timeout soon orders.jsonl
  stderr_has "--script-timeout soon: expected a duration (500ms, 1.5s, 30s, 2m)"
  run -64 --separate-stderr bid prov p2.json --policy policy.json --script-timeout 0ms orders.jsonl
  run -64 --separate-stderr bid prov p2.json --policy policy.json --script-timeout 1.5m orders.jsonl
  run -66 --separate-stderr bid prov missing.json --policy policy.json orders.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json big-task.jsonl
  stderr_has "expected an order message"
}

@test "bid: order and profile fields of the wrong type are 65 naming the field" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  jq -c '.task.type = 5' orders.jsonl | grid-key sign --key buyer >typed.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json typed.jsonl
  stderr_has "expected a string, got number (input line 1 of typed.jsonl, field .task.type)"
  jq -c '.summary.gpu_model = 5' p2.json | grid-key sign --key prov >model.json
  run -65 --separate-stderr bid prov model.json --policy policy.json orders.jsonl
  stderr_has "field .summary.gpu_model)"
  jq -c '.faulty = "no"' p2.json | grid-key sign --key prov >faulty.json
  run -65 --separate-stderr bid prov faulty.json --policy policy.json orders.jsonl
  stderr_has "expected a boolean, got string (input line 1 of faulty.json, field .faulty)"
  # The id is at fault, not the signature over it.
  jq -c '.id = 5' p2.json >id.json
  run -65 --separate-stderr bid prov id.json --policy policy.json orders.jsonl
  stderr_has "profile not trusted: id is not a string (input line 1 of id.json, field .id)"
  jq -c '.id = "sha256:00"' p2.json >id.json
  run -65 --separate-stderr bid prov id.json --policy policy.json orders.jsonl
  stderr_has "(input line 1 of id.json, field .id)"
}

@test "bid --keep-going: a bad order line is reported, the others still get bids, exit 65" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  { echo '{"kind":"order","v":1}'; cat orders.jsonl; } >mixed.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json mixed.jsonl
  assert_output ''
  run -65 --separate-stderr bid prov p2.json --policy policy.json --keep-going mixed.jsonl
  [ "${#lines[@]}" -eq 2 ]
  stderr_has "(input line 1 of mixed.jsonl, field .id)"
  stderr_has "1 bad input line(s) skipped"
}

@test "bid: a malformed need inside an order is bad input (65) naming the position and .need" {
  order --max-price 100000 --deadline 2h <big-task.jsonl | jq -c '.need = "summary.gpu_count >= "' |
    grid-key sign --key buyer >orders.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json orders.jsonl
  stderr_has "at position 22: expression ends where a value should come (input line 1 of orders.jsonl, field .need)"
}

@test "bid --expires and --max-leases with --leases: capacity counts open leases" {
  job-split --tasks 3 "$ROOT/examples/jobs/gemm.json" >tasks.jsonl
  order --max-price 100000 --deadline 2h <tasks.jsonl >orders.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json --expires 10m orders.jsonl
  [ "${#lines[@]}" -eq 4 ]
  assert_jq_all '[.[1:][].expires] | unique' '["2026-11-28T20:10:00Z"]'
  # One lease already awarded to this provider and open; room for one more.
  head -2 <<<"$output" >bids.jsonl
  lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl >leases.jsonl 2>/dev/null || true
  [ "$(wc -l <leases.jsonl)" -eq 1 ]
  run -0 --separate-stderr bid prov p2.json --policy policy.json --max-leases 2 --leases leases.jsonl --explain orders.jsonl
  [ "${#lines[@]}" -eq 2 ]
  stderr_has "no capacity: --max-leases 2"
  run -0 --separate-stderr bid prov p2.json --policy policy.json --max-leases 1 --leases leases.jsonl orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  # Another provider's lease does not count; neither does a closed one.
  run -0 --separate-stderr bid prov2 p3.json --policy policy.json --max-leases 1 --leases leases.jsonl orders.jsonl
  [ "${#lines[@]}" -eq 2 ]
  run -0 --separate-stderr lease-bid bid --key prov --profile p2.json --policy policy.json --max-leases 1 \
    --leases leases.jsonl --now 2026-11-28T22:30:00Z orders.jsonl
  stderr_has ""
  run -0 --separate-stderr bid prov p2.json --policy policy.json --max-leases 0 --leases leases.jsonl orders.jsonl
  [ "${#lines[@]}" -eq 4 ]
}

# ---------------------------------------------------------------- bid: price script

@test "price script: reads the order's resources as JSON, its price becomes the bid" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  script 'cat >request.json; echo 4321.2'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 4322
  assert_jq '.pricing | tojson' '{"method":"script","output":"4321.2","script":"./price.sh"}'
  output=$(cat request.json)
  assert_jq .order "$(jq -r .id orders.jsonl)"
  assert_jq .flops "$BIG"
  assert_jq .max_price_micros 100000
  assert_jq .estimated_seconds 72
  assert_jq .hardware.gpu_model H100
  assert_jq .spec.m 512
}

@test "price script: exit 1, empty, zero, negative, garbage and a timeout mean no bid" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  local body want
  while IFS='|' read -r body want; do
    script "$body"
    run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --explain orders.jsonl
    [ "${#lines[@]}" -eq 1 ] || fail "script '$body' made a bid: $output"
    stderr_has "$want"
  done <<'CASES'
echo 100; exit 1|the price script exited with status 1
true|the price script printed no price
echo 0|printed '0', not a positive decimal price
echo -5|printed '-5', not a positive decimal price
echo cheap|printed 'cheap', not a positive decimal price
echo 99999999999999999999999999999|printed '99999999999999999999999999999', a price beyond 2^53 - 1 micro-units
echo 9007199254740992|printed '9007199254740992', a price beyond 2^53 - 1 micro-units
CASES
  # A script killed by a signal: sh reports it as status 128+9, or we see the signal.
  script 'kill -9 $$'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --explain orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_matches "killed by signal 9|exited with status 137"
  # Either way it is a crash, warned of without --explain, as a signal is.
  script 'cat >/dev/null; kill -SEGV $$'
  run -0 --separate-stderr bid prov p2.json --price-script 'true && ./price.sh' orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_has "no bid: the price script exited with status 139, its shell's word for killed by signal 11"
  script 'sleep 30; echo 10'
  SECONDS=0
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 1s --explain orders.jsonl
  [ "$SECONDS" -le 3 ] || fail "the timeout took $SECONDS s"
  [ "${#lines[@]}" -eq 1 ]
  stderr_has "the price script timed out after 1 s and was killed"
  # Under a second, as an Akash provider's 5 s budget may want it.
  SECONDS=0
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 300ms --explain orders.jsonl
  [ "$SECONDS" -le 2 ] || fail "the timeout took $SECONDS s"
  stderr_has "the price script timed out after 0.3 s and was killed"
  script 'echo 10'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 1.5s orders.jsonl
  [ "${#lines[@]}" -eq 2 ] || fail "no bid within 1.5 s: $stderr"
}

@test "price script: one that fails (not a price, a timeout) is said on stderr for each order without --explain; a declined order is not" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  order --max-price 100000 --deadline 3h <big-task.jsonl >>orders.jsonl
  local body want
  while IFS='|' read -r body want; do
    script "$body"
    run -0 --separate-stderr bid prov p2.json --price-script ./price.sh orders.jsonl
    [ "${#lines[@]}" -eq 1 ] || fail "script '$body' made a bid: $output"
    [ "$(grep -c "no bid: .*$want" <<<"$stderr")" -eq 2 ] || fail "want 2 lines of '$want', stderr was: $stderr"
  done <<'CASES'
echo cheap|printed 'cheap', not a positive decimal price
echo -5|printed '-5', not a positive decimal price
CASES
  script 'sleep 30; echo 10'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 1s orders.jsonl
  [ "$(grep -c 'no bid: the price script timed out after 1 s' <<<"$stderr")" -eq 2 ] || fail "stderr was: $stderr"
  # Declining (an exit status, no output, 0) is the script's own choice: quiet.
  for body in 'exit 1' 'true' 'echo 0'; do
    script "$body"
    run -0 --separate-stderr bid prov p2.json --price-script ./price.sh orders.jsonl
    [ "${#lines[@]}" -eq 1 ]
    [ -z "$stderr" ] || fail "script '$body' said: $stderr"
  done
}

@test "price script: one the shell cannot find or execute is an error (66), not no bid for every order" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  run -66 --separate-stderr bid prov p2.json --price-script ./no-such-price.sh orders.jsonl
  assert_output ''
  stderr_has "--price-script ./no-such-price.sh: the shell cannot find it (exit 127)"
  printf 'echo 100\n' >noexec.sh
  chmod 0644 noexec.sh
  run -66 --separate-stderr bid prov p2.json --price-script ./noexec.sh orders.jsonl
  stderr_has "--price-script ./noexec.sh: the shell cannot execute it (exit 126)"
}

@test "price script: a timeout kills the script's whole process group" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  # The child holds stdout open: without the group kill this would hang.
  script 'sleep 47.25 & sleep 47.25; echo 10'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 1s orders.jsonl
  sleep 0.2
  run pgrep -f 'sleep 47.25'
  [ "$status" -eq 1 ] || fail "left running: $output"
}

@test "price script: its price counts when it exits, though a background child still holds its stdout" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  # The child keeps stdout (the pipe to lease-bid) open past the timeout;
  # its stderr goes elsewhere so that bats does not wait for it either.
  script 'sleep 5.75 2>/dev/null & echo 4321'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 2s --explain orders.jsonl
  [ "${#lines[@]}" -eq 2 ] || fail "no bid: $stderr"
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 4321
  # Nor is the child killed: it is not the script's to price with, and not ours to end.
  run pgrep -f 'sleep 5.75'
  [ "$status" -eq 0 ]
  pkill -f 'sleep 5.75' || true
  # What the child writes after the script's exit is not part of the price.
  script '(sleep 0.3; echo 99) 2>/dev/null & echo 4321'
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-timeout 2s --explain orders.jsonl
  [ "${#lines[@]}" -eq 2 ] || fail "no bid: $stderr"
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 4321
  assert_jq .pricing.output 4321
}

@test "price script: --script-jobs runs scripts side by side, at most that many" {
  job-split --tasks 4 "$ROOT/examples/jobs/gemm.json" >tasks.jsonl
  order --max-price 100000 --deadline 2h <tasks.jsonl >orders.jsonl
  script 'sleep 0.6; echo 7'
  SECONDS=0
  local t0 t1
  t0=$(date +%s%N)
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-jobs 4 orders.jsonl
  t1=$(date +%s%N)
  [ "${#lines[@]}" -eq 5 ]
  [ $(((t1 - t0) / 1000000)) -lt 1500 ] || fail "4 jobs at once took $(((t1 - t0) / 1000000)) ms"
  t0=$(date +%s%N)
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh --script-jobs 1 orders.jsonl
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -ge 2400 ] || fail "one at a time took only $(((t1 - t0) / 1000000)) ms"
  # The default (8) runs all four at once.
  t0=$(date +%s%N)
  run -0 --separate-stderr bid prov p2.json --price-script ./price.sh orders.jsonl
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -lt 1500 ]
}

@test "price script: the example in examples/pricing" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  run -0 --separate-stderr bid prov p2.json --price-script "$ROOT/examples/pricing/price.sh" orders.jsonl
  output=$(tail -1 <<<"$output")
  # 500 + 1.2 micro-units per GFLOP of 0.268 GFLOP.
  assert_jq .price_micros 500
  run -0 --separate-stderr bid prov p2.json --policy "$ROOT/examples/pricing/policy.json" orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .pricing.rate_key H100
}

# ---------------------------------------------------------------- bid: Akash price scripts

# akash_profile KEY DEVICE: the measured profile with 8 threads and 16 GiB,
# 50 exact TFLOP/s, on one H100 as nvidia-smi names it, 81559 MiB (DEVICE
# cuda), or the CPU, signed with KEY;
# without its kinds section, so a task's time is its flops at 50 TFLOP/s.
akash_profile() {
  jq -c --arg d "$2" 'del(.kinds) | .threads = 8 | .summary.memory_bytes = 17179869184 | .summary.exact_gemm_tflops = 50 | .device = $d
    | if $d == "cpu" then .summary.gpu_model = "none" | .summary.gpu_count = 0
      else .summary.gpu_model = "NVIDIA H100 80GB HBM3" | .summary.gpu_count = 1 | .summary.gpu_memory_bytes = 85520809984 end' \
    "$F/measured.json" | grid-key sign --key "$1"
}

@test "price script, akash format: the order as Akash's resource groups; its uakt a block, times the task's blocks, in the order's currency" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  akash_profile prov cuda >gpu.json
  akash_profile prov cpu >cpu.json
  script 'tee request.json | "$ROOT/examples/pricing/akash-price.sh"'
  export ROOT
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 orders.jsonl
  output=$(tail -1 <<<"$output")
  # 8 threads x 1.60 + 16 GiB x 0.80 + 1 GPU x 100 = 125.6 USD a month, at
  # 2 USD/AKT over 429909 blocks: 146.077426 uakt a block. 72 s of work is
  # 12 blocks of 6.117 s (11.8, rounded up); at 2 USD/AKT (2 micro-USD a
  # uakt): 146.077426 x 12 x 2 = 3505.86, rounded up.
  assert_jq .price_micros 3506
  assert_jq '.pricing | tojson' \
    '{"block_seconds":6.117,"blocks":12,"denom_price":2,"format":"akash","method":"script","output":"146.077426","per_block":146.077426,"script":"./price.sh"}'
  run jq -c -S . request.json
  assert_output '[{"count":1,"cpu":8000,"endpoint_quantity":0,"gpu":{"attributes":{"vendor":{"nvidia":{"model":"h100","ram":"80Gi"}}},"units":1},"ip_lease_quantity":0,"memory":17179869184,"storage":[{"class":"ephemeral","size":0}]}]'
  # On the CPU: no GPU unit. 25.6 USD a month: 29.773743 uakt a block, x 12 x 2 = 714.57.
  run -0 --separate-stderr bid prov cpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 715
  assert_jq .pricing.output 29.773743
  run jq -c -S '.[0].gpu' request.json
  assert_output '{"units":0}'
  # A provider's GPU price mappings, in Akash's names, find this H100: a
  # model with its memory first. (25.6 + 900) USD a month: 1076.506889 uakt
  # a block, x 12 x 2 = 25836.17.
  PRICE_TARGET_GPU_MAPPINGS="a100=500,h100.80Gi=900,h100=700" run -0 --separate-stderr bid prov gpu.json \
    --price-script ./price.sh --price-script-format akash --akash-denom-price 2 orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .pricing.output 1076.506889
  assert_jq .price_micros 25837
  PRICE_TARGET_GPU_MAPPINGS="h100=700" run -0 --separate-stderr bid prov gpu.json \
    --price-script ./price.sh --price-script-format akash --akash-denom-price 2 orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .pricing.output 843.899523
  # The tenant, as Akash's scripts know it (whitelists): the order's buyer;
  # an owner already in the environment is replaced, not kept beside it.
  script 'env | grep -c "^AKASH_OWNER=" >count.txt; echo "$AKASH_OWNER" >owner.txt; echo 1'
  AKASH_OWNER=someone-else run -0 --separate-stderr bid prov cpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 orders.jsonl
  assert_equal "$(cat owner.txt)" "$(jq -r .buyer orders.jsonl)"
  assert_equal "$(cat count.txt)" 1
  # lease-bid's own format passes the environment as it is.
  script 'echo "${AKASH_OWNER:-unset}" >owner.txt; echo 1'
  run -0 --separate-stderr env -u AKASH_OWNER lease-bid bid --key prov --profile cpu.json --now "$NOW" --price-script ./price.sh orders.jsonl
  assert_equal "$(cat owner.txt)" unset
}

@test "price script, akash format with --akash-denom: {resources, price} as newer Akash providers hand it; the cap is the order's max price a block" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  akash_profile prov cuda >gpu.json
  script 'tee request.json | "$ROOT/examples/pricing/akash-price.sh"'
  export ROOT
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-denom uakt orders.jsonl
  output=$(tail -1 <<<"$output")
  # The same rate as the bare list's (146.077426 uakt a block, 12 blocks):
  # the same price. The cap: 100000 micro-USD over 12 blocks at 2 micro-USD
  # a uakt is 4166.666666 uakt a block, rounded down.
  assert_jq .price_micros 3506
  assert_jq .pricing.denom uakt
  run jq -c -S . request.json
  assert_output '{"price":{"amount":"4166.666666","denom":"uakt"},"price_precision":6,"resources":[{"count":1,"cpu":8000,"endpoint_quantity":0,"gpu":{"attributes":{"vendor":{"nvidia":{"model":"h100","ram":"80Gi"}}},"units":1},"ip_lease_quantity":0,"memory":17179869184,"storage":[{"class":"ephemeral","size":0}]}]}'
  # An order that pays less than the script's rate: Akash's script refuses
  # it (exit 1, its reason on stderr), named for that order; no bid.
  order --max-price 3000 --deadline 2h <big-task.jsonl >cheap.jsonl
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-denom uakt cheap.jsonl
  # (The one line out is the profile, as every bid run writes it first.)
  [ "$(jq -c 'select(.kind == "bid")' <<<"$output")" = "" ] || fail "a bid above the cap: $output"
  assert_equal "$(jq -r .price.amount request.json)" 125.000000
  stderr_has "requested rate is too low. min expected 146.077426uakt"
  # A denomination the script does not price is its refusal too.
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-denom uusdc orders.jsonl
  [ "$(jq -c 'select(.kind == "bid")' <<<"$output")" = "" ] || fail "a bid in uusdc: $output"
  stderr_has "denom is not supported: uusdc"
}

@test "price script, akash format: --akash-block-seconds and --akash-denom-price; a short task pays one block" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  akash_profile prov cuda >gpu.json
  script 'echo 146.077426'
  # 72 s in blocks of 36 s: 2 blocks; 146.077426 x 2 x 2 = 584.3.
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-block-seconds 36 orders.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 585
  assert_jq .pricing.blocks 2
  # The small GEMM task takes far less than a block: it pays one.
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >small.jsonl
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 0.5 small.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .pricing.blocks 1
  assert_jq .price_micros 74
  # A tiny per-block price is still at least one micro-unit.
  script 'echo 0.000001'
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 0.5 small.jsonl
  output=$(tail -1 <<<"$output")
  assert_jq .price_micros 1
}

@test "price script, akash format: output that is no price, or a price past 2^53 - 1, is warned of per order; a script's no is quiet" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  akash_profile prov cuda >gpu.json
  local body want
  while IFS='|' read -r body want; do
    script "$body"
    run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
      --akash-denom-price 2 orders.jsonl
    [ "${#lines[@]}" -eq 1 ] || fail "script '$body' made a bid: $output"
    [ "$(grep -c "no bid: .*$want" <<<"$stderr")" -eq 1 ] || fail "want '$want', stderr was: $stderr"
  done <<'CASES'
echo 12uakt|printed '12uakt', not a positive decimal price
echo 4e14|per-block price makes a price beyond 2^53 - 1 micro-units
CASES
  script 'echo "requested rate is too low" >&2; exit 1'
  run -0 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  assert_equal "$stderr" "requested rate is too low"
  # Without the flag an Akash script gets lease-bid's own order object: it
  # cannot read it and makes no bid. That is what the flag is for.
  run -0 --separate-stderr bid prov gpu.json --price-script "$ROOT/examples/pricing/akash-price.sh" --explain orders.jsonl
  [ "${#lines[@]}" -eq 1 ]
  stderr_matches "no bid: the price script exited with status [0-9]+"
}

@test "price script, akash format: its flags are checked (64)" {
  order --max-price 100000 --deadline 2h <big-task.jsonl >orders.jsonl
  akash_profile prov cuda >gpu.json
  script 'echo 1'
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash orders.jsonl
  stderr_has "--price-script-format akash needs --akash-denom-price"
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --akash-denom-price 2 orders.jsonl
  stderr_has "--akash-denom-price, --akash-denom and --akash-block-seconds go with --price-script-format akash"
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --akash-denom uakt orders.jsonl
  stderr_has "go with --price-script-format akash"
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-denom 'u akt' orders.jsonl
  stderr_has "--akash-denom u akt: expected a denomination such as uakt"
  # An empty one is no denomination, not the flag left out.
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
    --akash-denom-price 2 --akash-denom '' orders.jsonl
  stderr_has "--akash-denom: an empty value is no denomination"
  run -64 --separate-stderr bid prov gpu.json --policy policy.json --price-script-format akash --akash-denom-price 2 orders.jsonl
  stderr_has "--price-script-format akash is for a --price-script"
  run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format json orders.jsonl
  stderr_has "--price-script-format"
  for bad in "--akash-denom-price 0" "--akash-denom-price -2" "--akash-denom-price inf" "--akash-block-seconds 0" \
    "--akash-block-seconds nan"; do
    # shellcheck disable=SC2086
    run -64 --separate-stderr bid prov gpu.json --price-script ./price.sh --price-script-format akash \
      --akash-denom-price 2 $bad orders.jsonl
    assert_output ''
  done
}

# ---------------------------------------------------------------- award

@test "award: the cheapest valid bid wins; the lease is signed and job-run and proof-check accept it" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":900}' >cheap.json
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":700}' >cheaper.json
  bid prov p2.json --policy cheap.json orders.jsonl >bids2.jsonl
  bid prov2 p3.json --policy cheaper.json orders.jsonl >bids3.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids2.jsonl bids3.jsonl
  [ "${#lines[@]}" -eq 1 ]
  grid-key verify --by "$PUB1" <<<"$output" >/dev/null
  assert_jq .kind lease
  assert_jq .provider "$PUB3"
  assert_jq .buyer "$PUB1"
  assert_jq .price_micros 700
  assert_jq .rule first-price
  assert_jq .task "$(jq -r .id gemm-task.jsonl)"
  assert_jq .deadline 2026-11-28T22:00:00Z
  assert_jq .awarded "$NOW"
  diff <(jq -c .order <<<"$output") <(jq -c . orders.jsonl)
  diff <(jq -c .bid <<<"$output") <(tail -1 bids3.jsonl | jq -c .)
  echo "$output" >leases.jsonl
  run -0 --separate-stderr job-run --device cpu --key prov2 leases.jsonl
  assert_jq .lease "$(jq -r .id leases.jsonl)"
  echo "$output" >results.jsonl
  run -0 --separate-stderr proof-check --key stranger --mode sig --leases leases.jsonl results.jsonl
  assert_jq .status accept
  # The lease's task run by the loser is rejected.
  job-run --device cpu --key prov leases.jsonl >wrong.jsonl
  run -1 --separate-stderr proof-check --key stranger --mode sig --leases leases.jsonl wrong.jsonl
  assert_jq .status reject
}

@test "award: bids and no order (the pipe bid | award) is 66, saying the orders are missing" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  bid prov p2.json --policy policy.json orders.jsonl >bids.jsonl
  [ -s bids.jsonl ]
  run -66 --separate-stderr lease-bid award --key buyer --now "$NOW" bids.jsonl
  [ -z "$output" ]
  stderr_has "1 bid(s) and no order: award needs the orders too"
  # With the orders it awards.
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl
  assert_jq .kind lease
}

@test "award: a repeated member name in an input is refused (65) naming the line and the member" {
  printf '%s\n' '{"kind":"order","v":1,"a":{"b":1,"b":2}}' >dup.jsonl
  run -65 --separate-stderr lease-bid award --key buyer --now "$NOW" dup.jsonl
  stderr_matches 'a member name appears twice in one object \(input line 1 of dup\.jsonl, field \.a\.b\)$'
}

@test "award --rule second-price: the winner is paid the lowest price of another provider" {
  job-split --tasks 2 "$ROOT/examples/jobs/gemm.json" >tasks.jsonl
  order --max-price 100000 --deadline 2h <tasks.jsonl >orders.jsonl
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":900}' >a.json
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":700}' >b.json
  echo '{"basis":"gpu_hour","rates_micros":{"*":1},"start_fee_micros":800}' >c.json
  bid prov p2.json --policy a.json orders.jsonl >bids.jsonl
  bid prov2 p3.json --policy b.json orders.jsonl >>bids.jsonl
  # The winner's own second, dearer bid for the first order does not raise its pay.
  head -1 orders.jsonl | bid prov2 p3.json --policy c.json --expires 2h >>bids.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --rule second-price orders.jsonl bids.jsonl
  assert_jq_all '[.[] | [.provider, .price_micros, .rule, .bid.price_micros]]' \
    "[[\"$PUB3\",900,\"second-price\",700],[\"$PUB3\",900,\"second-price\",700]]"
  # With one valid bid, its own price.
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --rule second-price orders.jsonl <(bid prov p2.json --policy a.json orders.jsonl)
  assert_jq_all '[.[].price_micros]' '[900,900]'
  run -64 --separate-stderr lease-bid award --key buyer --rule third-price orders.jsonl
}

@test "award: ties go to the higher reputation, then to the lower bid id" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  bid prov p2.json --policy policy.json orders.jsonl >bids.jsonl
  bid prov2 p3.json --policy policy.json orders.jsonl >>bids.jsonl
  local lower higher lower_pub
  lower=$(jq -rs '[.[] | select(.kind == "bid")] | min_by(.id) | .id' bids.jsonl)
  lower_pub=$(jq -rs '[.[] | select(.kind == "bid")] | min_by(.id) | .provider' bids.jsonl)
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl
  assert_jq .bid.id "$lower"
  # The other provider has the better trusted reputation: it wins the tie.
  local other
  other=$([ "$lower_pub" = "$PUB2" ] && echo "$PUB3" || echo "$PUB2")
  reputation "$other" 0.9 2026-11-28T19:00:00Z buyer >rep.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl rep.jsonl
  assert_jq .provider "$other"
  # A newer, lower score replaces it.
  reputation "$other" 0.2 2026-11-28T19:30:00Z buyer >>rep.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl rep.jsonl
  assert_jq .provider "$lower_pub"
  # A score signed by a stranger does not count, unless --reputation-by trusts it.
  reputation "$other" 0.9 2026-11-28T19:00:00Z stranger >rep2.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl rep2.jsonl
  assert_jq .provider "$lower_pub"
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --reputation-by "$(grid-key pub --key stranger)" \
    orders.jsonl bids.jsonl rep2.jsonl
  assert_jq .provider "$other"
  run -64 --separate-stderr lease-bid award --key buyer --reputation-by nobody orders.jsonl
}

@test "award: expired, forged, foreign-profile, unmet and low-reputation bids leave the order unfilled (exit 1), with reasons" {
  order --max-price 100000 --deadline 2h --min-reputation 0.6 --need 'summary.gpu_model == "H100"' \
    <gemm-task.jsonl >orders.jsonl
  reputation "$PUB2" 0.9 2026-11-28T19:00:00Z buyer >rep.jsonl
  local b2
  bid prov p2.json --policy policy.json --expires 10m orders.jsonl >bids.jsonl
  b2=$(tail -1 bids.jsonl)
  # Expired: awarded an hour later.
  run -1 --separate-stderr lease-bid award --key buyer --now 2026-11-28T21:00:00Z orders.jsonl bids.jsonl rep.jsonl
  assert_output ''
  stderr_has "order $(jq -r .id orders.jsonl) (task $(jq -r .id gemm-task.jsonl)) unfilled:"
  stderr_has "it expired at 2026-11-28T20:10:00Z"
  # Forged: the price lowered after signing.
  jq -c '.price_micros = 1' <<<"$b2" >forged.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json forged.jsonl rep.jsonl
  stderr_has "signature: id does not match the content"
  # Unsigned.
  jq -c 'del(.sig)' <<<"$b2" >unsigned.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json unsigned.jsonl rep.jsonl
  stderr_has "signature: unsigned"
  # An id that is no string fails that bid alone; the honest bid still wins.
  jq -c '.id = 5' <<<"$b2" >numbered.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json numbered.jsonl bids.jsonl rep.jsonl
  assert_jq .bid.id "$(jq -r .id <<<"$b2")"
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json numbered.jsonl rep.jsonl
  stderr_has "bid 5: signature: id is not a string"
  # Forged: re-signed by a stranger in the provider's name.
  jq -c '.price_micros = 1' <<<"$b2" | grid-key sign --key stranger >forged.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json forged.jsonl rep.jsonl
  stderr_has "not its provider"
  # A bid naming a profile that another key signed.
  profile prov2 H100 99 >theirs.json
  jq -c --arg p "$(jq -r .id theirs.json)" '.profile = $p' <<<"$b2" | grid-key sign --key prov >other.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl theirs.json other.jsonl rep.jsonl
  stderr_has "its profile is signed by $PUB3, another key than the bidder's"
  # A bid that claims other hardware than its profile measured.
  jq -c '.hardware.gpu_count = 8' <<<"$b2" | grid-key sign --key prov >claims.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json claims.jsonl rep.jsonl
  stderr_has "its hardware says gpu_count 8, its profile 1"
  # A profile whose summary is no object spoils its bid, not the award.
  jq -c '.summary = 5' p2.json | grid-key sign --key prov >odd.json
  jq -c --arg p "$(jq -r .id odd.json)" '.profile = $p' <<<"$b2" | grid-key sign --key prov >odd-bid.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl odd.json odd-bid.jsonl rep.jsonl
  stderr_has "its profile's summary is 5, not an object"
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl odd.json odd-bid.jsonl p2.json \
    bids.jsonl rep.jsonl
  assert_jq .bid.id "$(jq -r .id <<<"$b2")"
  # No profile at all; then the profile through --profiles.
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl <(tail -1 bids.jsonl) rep.jsonl
  stderr_has "is not among the inputs"
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --profiles p2.json orders.jsonl <(tail -1 bids.jsonl) rep.jsonl
  assert_jq .provider "$PUB2"
  # The requirement: an A100 profile.
  profile prov A100 50 >a100.json
  jq -c --arg p "$(jq -r .id a100.json)" '.profile = $p | .hardware.gpu_model = "A100"' <<<"$b2" |
    grid-key sign --key prov >a100-bid.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl a100.json a100-bid.jsonl rep.jsonl
  stderr_has 'the requirement is not met: summary.gpu_model is "A100", not == "H100"'
  # Reputation: without a score the prior 0.5 is below 0.6.
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl
  stderr_has "reputation 0.500000 is below min_reputation 0.600000"
  # Price above the max, a deposit too small.
  jq -c '.price_micros = 100001' <<<"$b2" | grid-key sign --key prov >dear.jsonl
  jq -c '.deposit_micros = 0' <<<"$b2" | grid-key sign --key prov >nodep.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p2.json dear.jsonl rep.jsonl
  stderr_has "price 100001 is above max_price_micros 100000"
  # No bids at all.
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl
  stderr_has "no bids"
}

@test "award: the bid deposit must be staked; an order past its deadline is unfilled" {
  order --max-price 100000 --deadline 2h --bid-deposit 300 <gemm-task.jsonl >orders.jsonl
  bid prov p2.json --policy policy.json orders.jsonl >bids.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl bids.jsonl
  assert_jq .bid.deposit_micros 300
  jq -c 'if .kind == "bid" then .deposit_micros = 10 else . end' bids.jsonl | grid-key sign --key prov >low.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl low.jsonl
  stderr_has "deposit 10 is below the order's 300"
  run -1 --separate-stderr lease-bid award --key buyer --now 2026-11-28T23:00:00Z orders.jsonl bids.jsonl
  stderr_has "its deadline 2026-11-28T22:00:00Z has passed"
}

@test "award: only the --key's orders are awarded; bad input exits 65" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  bid prov p2.json --policy policy.json orders.jsonl >bids.jsonl
  run -0 --separate-stderr lease-bid award --key stranger --now "$NOW" orders.jsonl bids.jsonl
  assert_output ''
  stderr_has "1 order(s) not signed by the --key"
  run -0 --separate-stderr lease-bid award --quiet --key stranger --now "$NOW" orders.jsonl bids.jsonl
  [ -z "$stderr" ]
  run -65 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl gemm-task.jsonl
  stderr_has "expected an order, bid, profile or reputation message, got a task (input line 1 of gemm-task.jsonl, field .kind)"
  jq -c '.need = "a in [1"' orders.jsonl | grid-key sign --key buyer >bad.jsonl
  run -65 --separate-stderr lease-bid award --key buyer --now "$NOW" bad.jsonl bids.jsonl
  stderr_has "at position 8: expected ',' or ']' (input line 1 of bad.jsonl, field .need)"
  printf '{"kind":"bid"\n' >broken.jsonl
  run -65 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl broken.jsonl
  run -65 --separate-stderr lease-bid award --keep-going --key buyer --now "$NOW" orders.jsonl broken.jsonl bids.jsonl
  [ "${#lines[@]}" -eq 1 ]
  run -64 --separate-stderr lease-bid award --now "$NOW" orders.jsonl bids.jsonl
  stderr_has "give --key"
}

@test "award: a bid's hardware must be an object with each field lease-bid bid writes equal to its profile's" {
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  # A profile that measured 80 GiB of GPU memory.
  jq -c '.summary.gpu_memory_bytes = 85899345920' p2.json | grid-key sign --key prov >p80.json
  local b2 f
  b2=$(bid prov p80.json --policy policy.json orders.jsonl | tail -1)
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json <(echo "$b2")
  assert_jq .bid.hardware.gpu_memory_bytes 85899345920
  # More memory than measured.
  jq -c '.hardware.gpu_memory_bytes = 141000000000' <<<"$b2" | grid-key sign --key prov >liar.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl
  stderr_has "its hardware says gpu_memory_bytes 141000000000, its profile 85899345920"
  # Each field bid writes, left out or changed.
  for f in device gpu_model gpu_count gpu_memory_bytes cpu_model exact_gemm_tflops; do
    jq -c --arg f "$f" 'del(.hardware[$f])' <<<"$b2" | grid-key sign --key prov >liar.jsonl
    run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl
    stderr_has "its hardware has no $f, its profile "
    jq -c --arg f "$f" '.hardware[$f] = "other"' <<<"$b2" | grid-key sign --key prov >liar.jsonl
    run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl
    stderr_has "its hardware says $f \"other\", its profile "
  done
  # No hardware, or hardware that is no object.
  jq -c 'del(.hardware)' <<<"$b2" | grid-key sign --key prov >liar.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl
  stderr_has "it has no hardware"
  jq -c '.hardware = "H100"' <<<"$b2" | grid-key sign --key prov >liar.jsonl
  run -1 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl
  stderr_has 'its hardware is "H100", not an object'
  # Only that bid is out: the dearer honest bid of another provider wins.
  jq -c '.hardware.gpu_memory_bytes = 141000000000 | .price_micros = 1' <<<"$b2" | grid-key sign --key prov >liar.jsonl
  bid prov2 p3.json --policy policy.json orders.jsonl >bids3.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl p80.json liar.jsonl bids3.jsonl
  assert_jq .provider "$PUB3"
}

@test "the same order twice is one order: award makes one lease, bid one bid within --max-leases" {
  job-split --tasks 2 "$ROOT/examples/jobs/gemm.json" >tasks.jsonl
  order --max-price 100000 --deadline 2h <tasks.jsonl >orders.jsonl
  { head -1 orders.jsonl; cat orders.jsonl; } >dup.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json dup.jsonl
  [ "${#lines[@]}" -eq 3 ]
  assert_jq_all '[.[1:][].order] | unique | length' 2
  # Room for two leases: both orders get a bid, the repeat takes none.
  run -0 --separate-stderr bid prov p2.json --policy policy.json --max-leases 2 --explain dup.jsonl
  [ "${#lines[@]}" -eq 3 ]
  assert_jq_all '[.[1:][].order] | unique | length' 2
  # The repeat is not reported as skipped (the one note says the profile
  # has no per-kind costs).
  [[ "$stderr" != *"no bid"* ]]
  echo "$output" >bids.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" dup.jsonl bids.jsonl
  [ "${#lines[@]}" -eq 2 ]
  assert_jq_all '[.[].order.id] | unique | length' 2
  # A repeated foreign order is still skipped, each copy counted.
  run -0 --separate-stderr lease-bid award --key stranger --now "$NOW" dup.jsonl bids.jsonl
  stderr_has "3 order(s) not signed by the --key"
}

@test "--pass: each subcommand sends the kinds it does not take on untouched; without it they are 65" {
  other='{"kind":"result","v":1,"note":"passes  as is"}'
  { echo "$other"; cat gemm-task.jsonl; } >mixed-tasks.jsonl
  run -65 --separate-stderr order --max-price 100000 --deadline 2h mixed-tasks.jsonl
  run -0 --separate-stderr order --max-price 100000 --deadline 2h --pass mixed-tasks.jsonl
  assert_equal "${lines[0]}" "$other"
  assert_equal "$(jq -r .kind <<<"${lines[1]}")" order
  printf '%s\n' "${lines[1]}" >orders.jsonl
  { echo "$other"; cat orders.jsonl; } >mixed-orders.jsonl
  run -65 --separate-stderr bid prov p2.json --policy policy.json mixed-orders.jsonl
  run -0 --separate-stderr bid prov p2.json --policy policy.json --pass mixed-orders.jsonl
  assert_equal "${lines[0]}" "$other"
  assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .kind | sort | uniq -c | tr -s ' ' | paste -sd,)" " 1 bid, 1 profile, 1 result"
  printf '%s\n' "${lines[@]:1}" >bids.jsonl
  run -65 --separate-stderr lease-bid award --key buyer --now "$NOW" orders.jsonl mixed-orders.jsonl bids.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --pass orders.jsonl mixed-orders.jsonl bids.jsonl
  assert_equal "${lines[0]}" "$other"
  assert_equal "$(jq -r .kind <<<"${lines[1]}")" lease
}

@test "inputs from file:// URLs and --publish to a file:// URL, for each subcommand" {
  run -0 --separate-stderr order --max-price 100000 --deadline 2h --publish "file://$PWD/orders.jsonl" \
    "file://$PWD/gemm-task.jsonl"
  diff <(echo "$output") orders.jsonl
  run -0 --separate-stderr bid prov "file://$PWD/p2.json" --policy policy.json --publish "file://$PWD/bids.jsonl" \
    "file://$PWD/orders.jsonl"
  diff <(echo "$output") bids.jsonl
  run -0 --separate-stderr lease-bid award --key buyer --now "$NOW" --publish "file://$PWD/leases.jsonl" \
    "file://$PWD/orders.jsonl" "file://$PWD/bids.jsonl"
  diff <(echo "$output") leases.jsonl
  run -66 --separate-stderr lease-bid award --key buyer --now "$NOW" "file://$PWD/nothing.jsonl"
}

@test "--retries N: transient failures in a row before 75, for inputs, --profile and --publish, in each subcommand; out of range is 64" {
  dead=$(dead_url)
  run -75 --separate-stderr order --max-price 100000 --deadline 2h --retries 0 "$dead/tasks.jsonl"
  assert_output ''
  stderr_matches "^lease-bid: error: cannot fetch $dead/tasks.jsonl: .*\(gave up after 1 attempt\)\$"
  order --max-price 100000 --deadline 2h <gemm-task.jsonl >orders.jsonl
  run -75 --separate-stderr bid prov "$dead/p2.json" --policy policy.json --retries 1 orders.jsonl
  stderr_matches "cannot fetch $dead/p2.json: .*\(gave up after 2 attempts\)\$"
  # --publish: the output is written, then the PUT fails.
  bid prov p2.json --policy policy.json orders.jsonl >bids.jsonl
  run -75 --separate-stderr lease-bid award --key buyer --now "$NOW" --retries 0 --publish "$dead/leases.jsonl" \
    orders.jsonl bids.jsonl
  stderr_matches "$dead/leases.jsonl.*\(gave up after 1 attempt\)\$"
  assert_jq .kind lease
  for sub in order bid award; do
    for n in -1 1001 some; do
      run -64 --separate-stderr lease-bid "$sub" --retries "$n"
      assert_output ''
      stderr_has "--retries"
    done
  done
}

@test "bash completion offers subcommands, their flags and values" {
  run -0 bash_complete lease-bid lease-bid ''
  assert_output $'order\nbid\naward'
  run -0 bash_complete lease-bid lease-bid bid --p
  assert_output $'--profile\n--policy\n--price-script\n--price-script-format\n--publish\n--pass'
  run -0 bash_complete lease-bid lease-bid bid --price-script-format ''
  assert_output $'gridutils\nakash'
  run -0 bash_complete lease-bid lease-bid award --rule ''
  assert_output $'first-price\nsecond-price'
  run -0 bash_complete lease-bid lease-bid order --m
  assert_output $'--max-price\n--min-reputation'
  run -0 bash_complete lease-bid lease-bid bid --ex
  assert_output $'--expires\n--explain'
}
