#!/usr/bin/env bats
# Forged training results, each made from an honest one (the real
# job-split and job-run) by a provider trying to be paid for work it did
# not do, re-signed so that only the checks can tell. Each must be
# rejected, with a reason naming what is wrong. (tests/proof-check.bats
# covers tampered leaves, forged roots, skipped steps, a whole segment made
# up, altered checkpoint bytes and lease mismatches; these are the rest.)

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
source "$BATS_TEST_DIRNAME/forge.bash"

# 100 steps, a checkpoint every 5: 20 segments, so a 10% cheat is 2 of them.
setup_file() {
  in_file_tmpdir
  train_tasks 100 5 >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >train.jsonl
}

setup() {
  from_file_tmpdir tasks.jsonl train.jsonl
}

@test "a provider that fakes 10% of segments is caught exactly when a faked segment is drawn, at the computed rate" {
  # Segments 4 (steps 20..25) and 13 (65..70) never run: their inner steps
  # made up, the checkpoints and root consistent, re-signed.
  # (Its run time and speed pinned: the same result id, and so the same draws, on every run.)
  forge fake-segments 4 13 <train.jsonl | pin_timing | sign key1 >forged.jsonl
  run -0 --separate-stderr check --tasks tasks.jsonl --mode sig,trace forged.jsonl
  assert_jq .status accept
  # Four draws of 20 with 2 faked: 1 - C(18,4)/C(20,4) = 0.3684...
  want=$(hypergeometric 20 2 4)
  caught=0
  for i in $(seq 1 12); do
    write_key v$i "$(printf 'verifier %d' "$i" | sha256sum | cut -c1-64)"
    run --separate-stderr proof-check --key v$i --store S --tasks tasks.jsonl --samples 4 forged.jsonl
    segs=$(jq -c .checked.spot.segments <<<"$output")
    if [[ $segs =~ (^|[,[])(4|13)[],] ]]; then
      assert_equal "$status" 1
      assert_reason '^spot: segment (4 \(steps 20\.\.25\): the state after step 21 differs from leaf 21|13 \(steps 65\.\.70\): the state after step 66 differs from leaf 66)$'
      caught=$((caught + 1))
    else
      assert_equal "$status" 0
      assert_jq .status accept
      assert_jq '.detection_probability * 1e9 | round' "$(printf '%.0f' "$(echo "$want * 10^9" | bc -l)")"
    fi
  done
  echo "# caught by $caught of 12 verifiers, expected $(echo "12 * $want" | bc -l | cut -c1-5)" >&3
  # At the default --detect 0.99, 18 of 20 segments are re-run: caught.
  run -1 --separate-stderr check --tasks tasks.jsonl forged.jsonl
  assert_jq '.checked.spot.segments | length' 18
  # (A verdict that rejects reports no detection probability: it caught the cheat.)
  assert_jq .detection_probability null
  assert_equal "$(hypergeometric 20 2 18)" 0.994736842105
  assert_reason '^spot: segment (4|13) '
}

@test "random output hashes (a trace made up from the start) are rejected at leaf 0, even with no checkpoint stored" {
  "$PY" -c '
import json, sys, hashlib
r = json.loads(sys.stdin.readline())
t = r["train"]["trace"]
t["leaves"] = [hashlib.sha256(b"random %d" % i).hexdigest() for i in range(len(t["leaves"]))]
print(json.dumps(r))' <train.jsonl | forge reroot | sign key1 >forged.jsonl
  # Consistent in itself: trace finds no fault, and no checkpoint is stored.
  run -0 --separate-stderr check --tasks tasks.jsonl --mode sig,trace forged.jsonl
  assert_jq .status accept
  assert_jq .checked.trace.checkpoints_missing 21
  # The task alone fixes the initial state: spot rejects whatever it draws.
  run -1 --separate-stderr check --tasks tasks.jsonl --samples 1 forged.jsonl
  assert_reason "^spot: leaf 0 is not the task's initial state $(jq -r '.train.trace.leaves[0]' train.jsonl)\$"
}

@test "a valid result of another task, relabelled and re-signed, is rejected; unrelabelled, sig rejects it" {
  # The same job with another seed: a task the provider never ran.
  train_tasks 100 5 '.train.seed = 12' >other-tasks.jsonl
  other=$(jq -r .id other-tasks.jsonl)
  # Relabelled by its task alone: sig sees its place in another job.
  jq -c --arg t "$other" '.task = $t | .header.task = $t' train.jsonl | forge reseal | sign key1 >replayed.jsonl
  run -1 --separate-stderr check --tasks other-tasks.jsonl --samples 1 replayed.jsonl
  assert_reason "^sig: job is \"$(jq -r .job train.jsonl)\", the task's is \"$(jq -r .job other-tasks.jsonl)\"\$"
  # Relabelled whole (task, job, index, seed): only re-execution can tell,
  # and spot does.
  jq -c --argjson o "$(cat other-tasks.jsonl)" '.task = $o.id | .header.task = $o.id | .job = $o.job |
    .index = $o.index | .header.seed = $o.seed' train.jsonl | forge reseal | sign key1 >replayed.jsonl
  run -1 --separate-stderr check --tasks other-tasks.jsonl --samples 1 replayed.jsonl
  assert_reason "^spot: leaf 0 is not the task's initial state "
  # Replayed as it is, for a lease of the other task: sig says it answers another task.
  jq -nc --argjson t "$(cat other-tasks.jsonl)" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,task:$t}' | sign key3 >lease.jsonl
  run -1 --separate-stderr check --leases lease.jsonl train.jsonl
  assert_reason "^sig: no lease in --leases is for task $(jq -r .task train.jsonl)\$"
  # Another provider's valid result of the right task, re-signed as its own.
  job-run --store S --key key2 tasks.jsonl | forge reseal | sign key1 >stolen.jsonl
  jq -nc --argjson t "$(cat tasks.jsonl)" --arg p "$PUB2" '{kind:"lease",v:1,provider:$p,task:$t}' | sign key3 >lease2.jsonl
  run -1 --separate-stderr check --leases lease2.jsonl stolen.jsonl
  assert_reason "^sig: signed by $PUB1, but the lease sha256:[0-9a-f]+ was awarded to $PUB2\$"
}

@test "fast mode (OpenBLAS) claimed as exact mode is rejected by sig, and by spot when the header is rewritten" {
  job-run --store S --key key1 --mode fast tasks.jsonl >fast.jsonl
  run -1 --separate-stderr check --tasks tasks.jsonl fast.jsonl
  assert_reason '^sig: the task asks for exact mode, the result was computed in fast mode$'
  jq -c '.header.mode = "exact" | .header.kernel = "grid-exact-1"' fast.jsonl | sign key1 >claimed.jsonl
  run -1 --separate-stderr check --tasks tasks.jsonl --samples 1 claimed.jsonl
  assert_reason '^spot: segment [0-9]+ \(steps [0-9]+\.\.[0-9]+\): the state after step [0-9]+ differs from leaf [0-9]+$'
}

@test "states computed at FP16 or TF32 precision (or with subnormals flushed), claimed exact: spot rejects" {
  for how in fp16 tf32; do
    forge round S "$how" <train.jsonl | sign key1 >forged.jsonl
    # Leaves, checkpoints and root agree, and the stored states hash to their leaves.
    run -0 --separate-stderr check --tasks tasks.jsonl --mode sig,trace forged.jsonl
    assert_jq .status accept
    assert_jq .checked.trace.checkpoints_verified 21
    run -1 --separate-stderr check --tasks tasks.jsonl --samples 1 forged.jsonl
    assert_reason "^spot: leaf 0 is not the task's initial state "
    # Even with the initial state honest, any segment drawn catches it.
    jq -c --slurpfile h train.jsonl '.train.trace.leaves[0] = $h[0].train.trace.leaves[0]' forged.jsonl | forge reroot |
      sign key1 >forged1.jsonl
    run -1 --separate-stderr check --tasks tasks.jsonl --samples 1 forged1.jsonl
    assert_reason '^spot: segment [0-9]+ \(steps ([0-9]+)\.\.[0-9]+\): the state after step [0-9]+ differs from leaf [0-9]+$'
  done
}

@test "a truncated trace (half the steps, its checkpoints and final state to match) is rejected" {
  jq -c '.train.trace.leaves |= .[:51] | .train.trace.checkpoints |= .[:11] | .train.final.step = 50' train.jsonl |
    forge reroot | sign key1 >short.jsonl
  run -1 --separate-stderr check --tasks tasks.jsonl short.jsonl
  assert_reason '^trace: 51 leaves for 100 steps: want 101 \(the initial state and one per step\)$'
  # Leaves kept, the checkpoints after step 50 dropped.
  jq -c '.train.trace.checkpoints |= .[:11]' train.jsonl | sign key1 >fewer.jsonl
  run -1 --separate-stderr check --tasks tasks.jsonl fewer.jsonl
  assert_reason '^trace: 11 checkpoints: want 21 \(step 0, every 5 steps, and step 100\)$'
  run -1 --separate-stderr check --tasks tasks.jsonl --mode spot fewer.jsonl
  assert_reason '^spot: 11 checkpoints: want 21 '
}

@test "internal Merkle nodes passed off as leaves do not give the signed root (RFC 6962 domain separation)" {
  # The two children of the root presented as the leaves of a 1-step run
  # under the signed root: without the 0x00/0x01 prefixes of RFC 6962 the
  # root over them would be the same.
  "$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from forge import sha, mth, leaf
r = json.loads(sys.stdin.readline())
t = r["train"]["trace"]
h = [leaf(x) for x in t["leaves"]]
left, right = mth(h[:64]), mth(h[64:])
assert sha(b"\x01" + left + right).hex() == t["root"][7:]
t["leaves"] = [left.hex(), right.hex()]
t["checkpoints"] = [{"step": 0, "sha256": "sha256:" + left.hex()}, {"step": 1, "sha256": "sha256:" + right.hex()}]
r["train"]["final"]["step"] = 1
r["train"]["final"]["state_sha256"] = "sha256:" + right.hex()
print(json.dumps(r))' "$BATS_TEST_DIRNAME" <train.jsonl | sign key1 >nodes.jsonl
  run -1 --separate-stderr check --mode sig,trace nodes.jsonl
  assert_reason "^trace: the root $(jq -r .train.trace.root train.jsonl) is not the root of the leaves \(sha256:[0-9a-f]{64}\)\$"
  # Held against its task, the count is wrong first.
  run -1 --separate-stderr check --tasks tasks.jsonl --mode sig,trace nodes.jsonl
  assert_reason '^trace: 2 leaves for 100 steps: want 101 '
}

@test "the last leaf duplicated (the odd-count trick of Bitcoin's tree) changes the root and is rejected" {
  jq -c '.train.trace.leaves += [.train.trace.leaves[-1]]' train.jsonl | sign key1 >dup.jsonl
  # With the root kept: in RFC 6962 a duplicated last leaf is a different tree.
  run -1 --separate-stderr check --tasks tasks.jsonl --mode sig,trace dup.jsonl
  assert_reason '^trace: 102 leaves for 100 steps: want 101 '
  # Claimed as a 101-step run (no task to hold it against): the repeat is a step not run.
  jq -c '.train.final.step = 101 | .train.trace.checkpoints += [{step: 101, sha256: .train.final.state_sha256}]' dup.jsonl |
    sign key1 >dup101.jsonl
  run -1 --separate-stderr check --mode sig,trace dup101.jsonl
  assert_reason '^trace: leaf 101 repeats leaf 100: '
  # And the root differs from the honest one, whatever the count.
  "$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from forge import mth, leaf
r = json.loads(sys.stdin.readline())
l = r["train"]["trace"]["leaves"]
assert mth([leaf(x) for x in l + l[-1:]]).hex() != r["train"]["trace"]["root"][7:]' "$BATS_TEST_DIRNAME" <train.jsonl
}

@test "withholding the checkpoints that were drawn is inconclusive, never accept" {
  run -0 --separate-stderr check --tasks tasks.jsonl --samples 3 train.jsonl
  assert_jq .status accept
  # Were the provider to learn the draw (it cannot before the verdict), it
  # could withdraw the checkpoints drawn: the verdict is then inconclusive.
  for j in $(jq -r '.checked.spot.segments[]' <<<"$output"); do
    rm -f "$(object S "$(jq -r ".train.trace.checkpoints[$j].sha256" train.jsonl)")"
  done
  run -3 --separate-stderr check --tasks tasks.jsonl --samples 3 train.jsonl
  assert_jq .status inconclusive
  assert_jq '.reason | test("^spot: segment [0-9]+ \\(steps [0-9]+\\.\\.[0-9]+\\): the checkpoint at step [0-9]+ is unavailable: ")' true
  assert_jq .detection_probability null
}

@test "a faked segment whose checkpoint is withheld: inconclusive where it would be rejected, never accept" {
  cp -r S S-all
  forge fake-segments 7 <train.jsonl | sign key1 >forged.jsonl
  run -1 --separate-stderr check --tasks tasks.jsonl --samples 20 forged.jsonl
  assert_reason '^spot: segment 7 \(steps 35\.\.40\): the state after step 36 differs from leaf 36$'
  rm -f "$(object S "$(jq -r '.train.trace.checkpoints[7].sha256' train.jsonl)")"
  run -3 --separate-stderr check --tasks tasks.jsonl --samples 20 forged.jsonl
  assert_jq .status inconclusive
  assert_jq .reason "spot: segment 7 (steps 35..40): the checkpoint at step 35 is unavailable: $(jq -r '.train.trace.checkpoints[7].sha256' train.jsonl) is not in the store S (give the provider's store with --store or --store-url)"
  assert_jq .checked.trace.checkpoints_missing 1
  # Whatever the verifier draws, the verdict is never accept when the draw
  # meets the faked segment; every checkpoint withheld, it is inconclusive.
  for i in $(seq 1 8); do
    write_key v$i "$(printf 'verifier %d' "$i" | sha256sum | cut -c1-64)"
    run --separate-stderr proof-check --key v$i --store S --tasks tasks.jsonl --samples 4 forged.jsonl
    if jq -e '.checked.spot.segments | index(7)' <<<"$output" >/dev/null; then
      assert_jq .status inconclusive
      assert_equal "$status" 3
    fi
  done
  mkdir empty
  run -3 --separate-stderr proof-check --key vkey --store empty --tasks tasks.jsonl forged.jsonl
  assert_jq .status inconclusive
  assert_jq .checked.trace.checkpoints_missing 21
}
