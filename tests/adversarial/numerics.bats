#!/usr/bin/env bats
# NaN, -0 and subnormal values in training states. Exact mode hashes the
# state's bits, so honest runs must agree bit for bit however odd the
# values (NaNs are written as one canonical NaN), and a result whose bits
# differ anywhere (a zero of the other sign, subnormals flushed to zero as
# GPUs do in FTZ mode) must be rejected.

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
source "$BATS_TEST_DIRNAME/forge.bash"

# tiny_task OPTIMIZER: a task on data whose features include -0 and
# subnormal values (seed 3), 12 steps, a checkpoint every 4.
tiny_task() {
  jq -nc --arg o "$1" '{kind:"job",v:1,type:"train",mode:"exact",train:{model:{layers:[8,16,3],activation:"relu"},
    loss:"softmax_xent",optimizer:{name:$o,lr:0.01},batch:16,steps:12,seed:3,checkpoint_every:4,
    data:{format:"npy",x:{path:"x.npy"},y:{path:"y.npy"}}}}' | job-split
}

setup_file() {
  in_file_tmpdir
  "$PY" -c '
import numpy as np
rng = np.random.default_rng(3)
x = rng.normal(size=(64, 8)).astype(np.float32)
x[:, 0] = -0.0
x[:, 1] = np.float32(1e-40) * rng.choice([-1, 1], size=64)
x[:, 2] = 0.0
x[::3, 3] = -0.0
np.save("x.npy", x)
np.save("y.npy", rng.integers(0, 3, size=64).astype(np.int64))'
  for o in sgd momentum adam; do tiny_task "$o" >"tasks-$o.jsonl"; done
  # A learning rate of 100 drives the weights to infinity and NaN.
  train_tasks 12 4 '.train.optimizer = {name: "sgd", lr: 100} | .train.data.synthetic.rows = 64' >tasks-nan.jsonl
  for t in sgd momentum adam nan; do
    job-run --store S --key key1 "tasks-$t.jsonl" >"r1-$t.jsonl"
    job-run --store S2 --key key2 "tasks-$t.jsonl" >"r2-$t.jsonl"
  done
}

setup() {
  from_file_tmpdir '*.jsonl' '*.npy'
}

@test "states with NaNs and subnormals: honest results are accepted and bit-identical on re-run" {
  # What the states hold (counted over every checkpoint).
  [ "$(forge zero-stats S <r1-nan.jsonl | jq .nan)" -gt 0 ]
  assert_equal "$(jq -c '.train.losses[-1].loss' r1-nan.jsonl)" null
  for o in momentum adam; do
    [ "$(forge zero-stats S <"r1-$o.jsonl" | jq .subnormal)" -gt 0 ]
  done
  for t in sgd momentum adam nan; do
    # Another provider, another store: the same root.
    assert_equal "$(jq -r .train.trace.root "r2-$t.jsonl")" "$(jq -r .train.trace.root "r1-$t.jsonl")"
    run -0 --separate-stderr check --tasks "tasks-$t.jsonl" --samples 3 "r1-$t.jsonl"
    assert_jq '[.status, (.checked.spot.segments | length)] | tostring' '["accept",3]'
  done
  # Forced recomputation in the same store gives the same bits again.
  job-run --store S --key key1 --force tasks-adam.jsonl >again.jsonl
  assert_equal "$(jq -r .train.trace.root again.jsonl)" "$(jq -r .train.trace.root r1-adam.jsonl)"
}

@test "a zero of the other sign in one checkpoint is rejected: -0 and +0 are different bits" {
  # The honest states hold +0 (the moments of weights whose inputs are
  # always zero) and no -0: the forger turns one +0 at step 4 into -0 and
  # rebuilds the leaf and the root.
  stats=$(forge zero-stats S <r1-adam.jsonl)
  assert_equal "$(jq .negzero <<<"$stats")" 0
  [ "$(jq .poszero <<<"$stats")" -gt 0 ]
  forge flip-zero S 4 <r1-adam.jsonl | sign key1 >forged.jsonl
  assert_equal "$(forge zero-stats S <forged.jsonl | jq .negzero)" 1
  run -0 --separate-stderr check --tasks tasks-adam.jsonl --mode sig,trace forged.jsonl
  assert_jq .status accept
  run -1 --separate-stderr check --tasks tasks-adam.jsonl --samples 3 forged.jsonl
  assert_reason '^spot: segment 0 \(steps 0\.\.4\): the state after step 4 differs from leaf 4$'
}

@test "subnormals flushed to zero (FTZ) in the checkpoints are rejected" {
  for o in momentum adam; do
    forge round S ftz <"r1-$o.jsonl" | jq -c --slurpfile h "r1-$o.jsonl" '.train.trace.leaves[0] = $h[0].train.trace.leaves[0]' |
      forge reroot | sign key1 >forged.jsonl
    [ "$(forge zero-stats S <forged.jsonl | jq .subnormal)" -eq 0 ]
    run -1 --separate-stderr check --tasks "tasks-$o.jsonl" --samples 3 forged.jsonl
    assert_reason '^spot: segment [0-9] \(steps [0-9]+\.\.[0-9]+\): the state after step [0-9]+ differs from leaf [0-9]+$'
  done
}

@test "a NaN state passed off as finite (NaN replaced by zero) is rejected" {
  "$PY" -c '
import json, sys, numpy as np
sys.path.insert(0, sys.argv[1])
import forge
store = sys.argv[2]
r = json.loads(sys.stdin.readline())
def unnan(step, b):
    out = bytearray(b)
    for o, c in forge.float_ranges(b):
        bits = np.frombuffer(b, dtype="<u4", count=c, offset=o).copy()
        bits[bits == 0x7FC00000] = 0
        out[o:o + 4 * c] = bits.tobytes()
    return bytes(out)
print(json.dumps(forge.restate(r, store, unnan)))' "$BATS_TEST_DIRNAME" S <r1-nan.jsonl | sign key1 >forged.jsonl
  [ "$(forge zero-stats S <forged.jsonl | jq .nan)" -eq 0 ]
  run -1 --separate-stderr check --tasks tasks-nan.jsonl --samples 3 forged.jsonl
  assert_reason '^spot: segment [0-9] \(steps [0-9]+\.\.[0-9]+\): the state after step [0-9]+ differs from leaf [0-9]+$'
}

@test "fast mode: a checkpoint with one NaN weight is rejected, not passed as distance NaN" {
  # Fast mode compares re-execution with the claimed state by distance; the
  # forger puts a NaN into the checkpoint at step 4 (leaves and root rebuilt).
  tiny_task sgd | jq -c '.mode = "fast"' | grid-key id >fast-tasks.jsonl
  job-run --store S --key key1 fast-tasks.jsonl >fast.jsonl
  run -0 --separate-stderr check --tasks fast-tasks.jsonl --samples 3 fast.jsonl
  assert_jq .status accept
  "$PY" -c '
import json, struct, sys
sys.path.insert(0, sys.argv[1])
import forge
r = json.loads(sys.stdin.readline())
def one_nan(step, b):
    if step != 4:
        return b
    out = bytearray(b)
    o, _ = forge.float_ranges(b)[0]
    struct.pack_into("<I", out, o, 0x7FC00000)
    return bytes(out)
print(json.dumps(forge.restate(r, sys.argv[2], one_nan)))' "$BATS_TEST_DIRNAME" S <fast.jsonl | sign key1 >forged.jsonl
  [ "$(forge zero-stats S <forged.jsonl | jq .nan)" -eq 1 ]
  run -1 --separate-stderr check --tasks fast-tasks.jsonl --samples 3 forged.jsonl
  assert_jq .status reject
  assert_reason '^spot: segment 0 \(steps 0\.\.4\): re-execution ends nan from the checkpoint at step 4'
}
