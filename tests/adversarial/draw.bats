#!/usr/bin/env bats
# The draw and the rates: a provider cannot steer which segments are
# re-run (the draw is the verifier's signature over the result id), so a
# 10%-faked result is caught at the computed hypergeometric rate whatever
# it tries; and honest results are never rejected.

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
source "$BATS_TEST_DIRNAME/forge.bash"

# 100 steps, a checkpoint every 2: 50 segments, of which the provider fakes
# 5 (10%): segments 3, 14, 25, 36 and 47.
FAKED="3 14 25 36 47"

setup_file() {
  in_file_tmpdir
  train_tasks 100 2 >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >train.jsonl
  # Its run time and speed pinned, so that the result ids, and so the draws and the
  # counts below, are the same on every run of the suite.
  forge fake-segments $FAKED <train.jsonl | pin_timing >forged-unsigned.jsonl
}

setup() {
  from_file_tmpdir tasks.jsonl train.jsonl forged-unsigned.jsonl
}

# caught VERDICTS: how many verdicts reject, after checking that each
# rejects exactly when its drawn segments meet a faked one, naming it.
caught() {
  jq -s -r --arg faked "$FAKED" '
    ($faked | split(" ") | map(tonumber)) as $f |
    map(. as $v | ($v.checked.spot.segments | map(select(. as $s | $f | index($s))) | length > 0) as $hit |
      if $hit != ($v.status == "reject") then error("verdict \($v.result): drawn \($v.checked.spot.segments), status \($v.status)")
      elif $hit and ($v.reason | test("^spot: segment [0-9]+ \\(steps [0-9]+\\.\\.[0-9]+\\): the state after step [0-9]+ differs from leaf [0-9]+$") | not)
      then error("verdict \($v.result): reason \($v.reason)")
      else $hit end) | map(select(.)) | length' "$1"
}

@test "a provider grinding a nonce it controls gets 200 independent draws: caught at the computed rate" {
  # 200 variants of the forged result, each with another value in a field
  # the verifier ignores, each signed: 200 result ids, 200 draws.
  jq -c '. as $r | range(1; 201) | $r + {nonce: .}' forged-unsigned.jsonl | sign key1 >ground.jsonl
  run -1 --separate-stderr bash -c 'proof-check --key vkey --store S --tasks tasks.jsonl --samples 5 ground.jsonl >verdicts.jsonl'
  p=$(hypergeometric 50 5 5)
  n=$(caught verdicts.jsonl)
  read -r lo hi < <(binomial_interval 200 "$p")
  echo "# grinding: caught $n of 200; computed p = $p (expected $(echo "200 * $p" | bc -l | cut -c1-6)), 99.9% interval [$lo, $hi]" >&3
  ((n >= lo && n <= hi)) || fail "caught $n of 200, outside [$lo, $hi]"
  # Accepted verdicts report the computed probability.
  assert_equal "$(jq -s -r 'map(select(.status == "accept") | .detection_probability) | unique | map(. * 1e9 | round) | tostring' verdicts.jsonl)" \
    "[$(printf '%.0f' "$(echo "$p * 10^9" | bc -l)")]"
  # The draws spread evenly over the 50 segments (chi-square, 49 degrees of
  # freedom, below its 99.9% point 85.35), and nearly all 200 differ.
  jq -s -c 'map(.checked.spot.segments)' verdicts.jsonl >draws.json
  "$PY" -c '
import json, sys
draws = json.load(open("draws.json"))
count = [0] * 50
for d in draws:
    assert len(d) == 5 and len(set(d)) == 5
    for s in d: count[s] += 1
e = 5 * len(draws) / 50
chi2 = sum((c - e) ** 2 / e for c in count)
print("# chi-square of the draws over the segments: %.1f (99.9%% point 85.35); %d distinct draws of 200" % (chi2, len({tuple(d) for d in draws})), file=sys.stderr)
assert chi2 < 85.35, chi2
assert len({tuple(d) for d in draws}) >= 195' 2>&3
}

@test "200 verifiers with their own keys draw independently: the same forged result is caught at the computed rate" {
  sign key1 <forged-unsigned.jsonl >forged.jsonl
  : >verdicts.jsonl
  for i in $(seq 1 200); do
    write_key v "$(printf 'verifier %d' "$i" | sha256sum | cut -c1-64)"
    proof-check --key v --store S --tasks tasks.jsonl --samples 5 --mode spot forged.jsonl >>verdicts.jsonl || true
  done
  assert_equal "$(wc -l <verdicts.jsonl)" 200
  p=$(hypergeometric 50 5 5)
  n=$(caught verdicts.jsonl)
  read -r lo hi < <(binomial_interval 200 "$p")
  echo "# 200 verifier keys: caught $n of 200; computed p = $p, 99.9% interval [$lo, $hi]" >&3
  ((n >= lo && n <= hi)) || fail "caught $n of 200, outside [$lo, $hi]"
}

@test "changing anything in a result changes its draw; the verifier's draw for a given result is fixed and auditable" {
  sign key1 <forged-unsigned.jsonl >a.jsonl
  jq -c '.timings.seconds += 1' forged-unsigned.jsonl | sign key1 >b.jsonl
  run --separate-stderr check --tasks tasks.jsonl --samples 5 --mode spot a.jsonl b.jsonl a.jsonl
  ((status == 0 || status == 1))
  assert_jq_all '.[0].draw.seed == .[2].draw.seed and .[0].draw.seed != .[1].draw.seed' true
  assert_jq_all '.[0].checked.spot.segments == .[2].checked.spot.segments' true
  # The seed is the SHA-256 of the verifier's signature over the result id
  # (tests/proof-check.bats audits the segments drawn from it).
  sig=$(jq -s -r '.[1].draw.sig' <<<"$output")
  assert_equal "$(jq -s -r '.[1].draw.seed' <<<"$output")" "$(printf '%s' "$sig" | xxd -r -p | sha256sum | cut -c1-64)"
}

@test "100 honest results of random tasks (seeds from master seed 20261128): zero false rejects" {
  "$PY" -c '
import json, random
rng = random.Random(20261128)
for i in range(100):
    if i % 10 == 9:
        job = {"kind": "job", "v": 1, "type": "gemm", "mode": "exact",
               "gemm": {"m": rng.randint(8, 48), "n": rng.randint(8, 48), "k": rng.randint(8, 48), "seed": rng.randrange(2**31)}}
    else:
        every = rng.randint(2, 4)
        job = {"kind": "job", "v": 1, "type": "train", "mode": "exact", "train": {
            "model": {"layers": [6, rng.choice([4, 8, 16]), 3], "activation": "relu"},
            "loss": "softmax_xent", "optimizer": {"name": rng.choice(["sgd", "momentum", "adam"]), "lr": rng.choice([0.001, 0.01, 0.1])},
            "batch": rng.choice([8, 16, 32]), "steps": rng.randint(every, 12), "seed": rng.randrange(2**31),
            "checkpoint_every": every,
            "data": {"synthetic": {"kind": "blobs", "rows": 64, "features": 6, "classes": 3, "seed": rng.randrange(2**31)}}}}
    print(json.dumps(job))' | job-split >tasks100.jsonl
  assert_equal "$(wc -l <tasks100.jsonl)" 100
  job-run --store S --key key2 tasks100.jsonl >honest.jsonl
  run -0 --separate-stderr check --tasks tasks100.jsonl --mode sig,trace,spot,rows,freivalds --samples 99 honest.jsonl
  assert_jq_all 'length' 100
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
}
