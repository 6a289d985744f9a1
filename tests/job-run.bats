#!/usr/bin/env bats
# job-run: tasks run on the CPU through the real binary, and every proof in
# their results checked here independently: Merkle roots recomputed with
# hashlib, store objects re-hashed, predictions read back with NumPy.
# NumPy is in /usr/bin/python3 (not in every python3 on PATH).

bats_require_minimum_version 1.5.0
load test_helper

NUMPY=/usr/bin/python3

setup() {
  common_setup
  unset SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX
  EX=$ROOT/examples/jobs
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  # A small GEMM cut into 4 row blocks: milliseconds a task.
  jq -c '.gemm.m = 64 | .gemm.n = 48 | .gemm.k = 32' "$EX/gemm.json" | job-split --tasks 4 >gemm4.jsonl
  # A short training run for the tests that do not need the example's.
  jq -c '.train.steps = 40 | .train.checkpoint_every = 10' "$EX/train.json" | job-split >small.jsonl
}

# ref_file STORE NAME: where the store keeps reference NAME (lib/core/store.h).
ref_file() {
  python3 -c '
import hashlib, sys
h = hashlib.sha256(sys.argv[2].encode()).hexdigest()
print(f"{sys.argv[1]}/refs/{h[:2]}/{h[2:]}")' "$1" "$2"
}

# merkle_root hashed|raw < JSON-LIST: the RFC 6962 tree hash, recomputed
# by tests/merkle_reference.py (hashlib alone), of a list of hex leaves: "hashed" when the leaves are
# data to hash as leaves first (SHA-256(0x00 || bytes)), "raw" when they are
# already leaf hashes. Prints sha256:<hex>.
merkle_root() {
  python3 -c '
import json, sys
from merkle_reference import sha, mth
leaves = [bytes.fromhex(x) for x in json.load(sys.stdin)]
if sys.argv[1] == "hashed": leaves = [sha(b"\x00" + l) for l in leaves]
print("sha256:" + mth(leaves).hex())' "$1"
}

# sha_of FILE: sha256:<hex> of the file's bytes.
sha_of() {
  echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# proof_part: the parts of train results that must be reproducible (all but
# timings, metrics, id and signature).
proof_part() {
  jq -cS 'del(.timings, .id, .sig, .train.metrics)'
}

# ---- flags -------------------------------------------------------------

@test "--version prints the gridutils version; --help lists every flag" {
  run -0 --separate-stderr job-run --version
  assert_output --regexp '^gridutils [0-9]+\.[0-9]+\.[0-9]+$'
  run -0 --separate-stderr job-run --help
  for flag in --task-index --mode --device --store --retries --threads --force --resume --now --pass --key --keep-going -q,--quiet; do
    assert_output --partial -- "$flag"
  done
}

@test "bad flags are usage errors (64) and run nothing" {
  for args in "--no-such-flag" "--mode turbo" "--threads -1" "--threads 4097" "--threads many" \
    "--device gpu" "--device cuda:x" "--task-index abc" "--task-index 1x" "--now someday" \
    "--retries -1" "--retries 1001" "--retries some"; do
    run -64 --separate-stderr job-run --store S $args gemm4.jsonl
    assert_output ''
    stderr_matches '^job-run: error: '
  done
  assert_not_exist S
  # An empty --store is no folder, not the default store.
  HOME=$PWD/home XDG_DATA_HOME= run -64 --separate-stderr job-run --store '' gemm4.jsonl
  stderr_has "--store: an empty value is no folder"
  assert_not_exist home
}

@test "--device cuda without a usable GPU is exit 69 with the reason" {
  if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    skip "a GPU is present here"
  fi
  for dev in cuda cuda:0; do
    run -69 --separate-stderr job-run --store S --device "$dev" gemm4.jsonl
    assert_output ''
    stderr_matches "^job-run: error: --device $dev: "
  done
  run -0 --separate-stderr job-run --store S --device cpu --task-index 0 gemm4.jsonl
  assert_jq .header.device cpu
}

# ---- train: the result and its proof -----------------------------------

# assert_pinned_hashes THREADS STORE: the examples' train task and first
# gemm task give the hashes recorded from the CPU build, with whatever
# kernel the environment chooses.
assert_pinned_hashes() {
  job-split "$ROOT/examples/jobs/train.json" >train-task.jsonl
  job-split "$ROOT/examples/jobs/gemm.json" | head -1 >gemm-task.jsonl
  run -0 --separate-stderr job-run --device cpu --threads "$1" --store "$2" train-task.jsonl
  assert_jq .train.trace.root sha256:69e4e15f3196aa0859da9fc6896f0e34885abcaf02c60ab855ee9db603dde9eb
  run -0 --separate-stderr job-run --device cpu --threads "$1" --store "$2" gemm-task.jsonl
  assert_jq .gemm.c_sha256 sha256:811665397642451bf52bc3e2a1522e8ee6876348bf1fc4942298715c11a7607f
  assert_jq .gemm.row_root sha256:b0ffecab4c110bdb9cc20e29240c796009f8f3bd34ffa42ca1e2926528838323
}

@test "exact bits are pinned: the examples' train and gemm tasks give the recorded hashes" {
  # A compiler flag, kernel or library change that moves one bit of exact
  # mode fails here, on 1 thread and on 2.
  for t in 1 2; do
    assert_pinned_hashes "$t" "S$t"
  done
}

@test "GRID_EXACT_KERNEL forces each CPU kernel: every one gives the pinned hashes; a bad name is exit 64" {
  # Each kernel this CPU runs (the AVX-512 one skipped only where the CPU
  # lacks it; this project's machines have it).
  for kernel in avx512 avx2 portable; do
    case $kernel in
      avx512) grep -qw avx512f /proc/cpuinfo || continue ;;
      avx2) grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo || continue ;;
    esac
    GRID_EXACT_KERNEL=$kernel assert_pinned_hashes 2 "S-$kernel"
  done
  # The name is checked when the first exact product runs: a task of it
  # fails, naming the variable.
  for bad in bogus AVX2 best; do
    GRID_EXACT_KERNEL=$bad run -64 --separate-stderr job-run --device cpu --store S gemm-task.jsonl
    assert_output ''
    stderr_matches "^job-run: error: GRID_EXACT_KERNEL=$bad names no exact GEMM kernel \\(avx512, avx2 or portable\\)"
  done
  # An empty value is unset: the fastest kernel.
  GRID_EXACT_KERNEL= run -0 --separate-stderr job-run --device cpu --store S gemm-task.jsonl
  assert_jq .gemm.c_sha256 sha256:811665397642451bf52bc3e2a1522e8ee6876348bf1fc4942298715c11a7607f
}

@test "exact bits are pinned: the infer example predicts with the train example's model, shard by shard" {
  # examples/jobs/infer.json names the model the train example makes, and
  # data of the same blobs (seed 5): rows 0..1023 are the training rows,
  # the rest held out.
  job-split "$EX/train.json" | job-run --store S >train.jsonl
  assert_equal "$(jq -r .train.final.model_sha256 train.jsonl)" "$(jq -r .infer.model.sha256 "$EX/infer.json")"
  job-split "$EX/infer.json" >infer-tasks.jsonl
  run -0 --separate-stderr job-run --device cpu --store S infer-tasks.jsonl
  printf '%s\n' "$output" >results.jsonl
  run -0 jq -r '"\(.infer.row_begin) \(.infer.row_end) \(.infer.predictions_sha256) \(.infer.trace.root)"' results.jsonl
  assert_output "$(printf '%s %s %s %s\n' \
    0 4096 sha256:01dfc8625dfa0d39b0efa7b19c335d1f59e5779c22854678f538432042239080 \
    sha256:5761163ba79881778e4ba208969e65319cb066d0d097b0bbea6166bea40b304f \
    4096 8192 sha256:f77253dc648ba4ad5f77d773ae95c92b3f96b987c37cda5431bb1ded98b70c8a \
    sha256:50b3d4a1036c3f1e5ff6df5865fcead4f9fe170b6fd4fd50c96eb0027d3c2173)"
  # And the model is a good one: blob i is class i % 3.
  run -0 "$NUMPY" -c '
import sys
import numpy as np
p = np.concatenate([np.load(f) for f in sys.argv[1:]])
right = p.argmax(axis=1) == np.arange(len(p)) % 3
print(right[1024:].mean())
assert right[1024:].mean() > 0.99' $(for r in $(jq -r .infer.predictions_sha256 results.jsonl); do object S "$r"; done)
}

@test "exact bits are pinned: both sweep examples give the recorded roots, task by task" {
  # The grid sweep covers SGD and Adam on blobs with softmax cross-entropy,
  # the random sweep momentum on a teacher network with MSE and log-scale
  # learning rates drawn through the exact ops: any machine must reproduce
  # these roots (CI runs them on a fresh one).
  job-split "$EX/train-sweep.json" >grid.jsonl
  job-split "$EX/train-random-sweep.json" >random.jsonl
  run -0 --separate-stderr job-run --device cpu --store S grid.jsonl random.jsonl
  printf '%s\n' "$output" >results.jsonl
  run -0 jq -r '"\(.index) \(.train.trace.root)"' results.jsonl
  assert_output "$(printf '%s %s\n' \
    0 sha256:64b2f745b248d9c0cef301a24158eeef9b4f861e8e95fa59a9aeb99825790916 \
    1 sha256:052cffcb228bfee498497a8ef9b22eeb49eb25afce7f8499382b9ff551db4f62 \
    2 sha256:3bd28b906181c3aa1e510167eeb77742f7342e3d77d8299d7668bc3e9f65525e \
    3 sha256:b267352790a0ed9cf33fcc37a215e1c407ddead1cc538f078aef547bf9361482 \
    4 sha256:b072770a3f78f2e10aa4c5dbe5960e2d72fcd232801e8ad715b9dad1df2a098d \
    5 sha256:4a8acc7a86b6187c927166c3ff8030f200ae3dfdaef7be0882f326e86bad1c8d \
    0 sha256:c22931f11f983c488e9eb4ca2db45dfede3542d96f6cf381e83d5257a7e1bf7e \
    1 sha256:74195ed57943182c22890423f6e3f4fe9e3c3f7a72bea2785b8d90632e1482ed \
    2 sha256:89aa8d9153a5b2a531fe5560312dd72a92c69de1043499f4f1252e0d38098839 \
    3 sha256:0975564e76aa6164ae45a099c90add1e062750b2411dc142b0004cd57994dddc)"
  # The random draws themselves are pinned with them (job-split's side).
  run -0 jq -r '.train.optimizer.lr' random.jsonl
  assert_output "$(printf '%s\n' 0.001080426387488842 0.04698607698082924 0.032037701457738876 0.06324002891778946)"
}

@test "a train task runs and its signed result verifies" {
  job-split "$EX/train.json" >tasks.jsonl
  run -0 --separate-stderr job-run --store S --key key1 tasks.jsonl
  assert_equal "${#lines[@]}" 1
  printf '%s\n' "$output" >result.jsonl
  assert_jq '[.kind, .v, .type, .index] | tostring' '["result",1,"train",0]'
  assert_jq .task "$(jq -r .id tasks.jsonl)"
  assert_jq .job "$(jq -r .job tasks.jsonl)"
  assert_jq '.header | [.mode, .kernel, .device] | tostring' '["exact","grid-exact-1","cpu"]'
  assert_jq .header.task "$(jq -r .id tasks.jsonl)"
  assert_jq .header.seed "$(jq -r .seed tasks.jsonl)"
  assert_jq .header.inputs.spec "sha256:$(jq -jcS .train tasks.jsonl | sha256sum | cut -d' ' -f1)"
  assert_jq .header.inputs.data.synthetic "sha256:$(jq -jcS .train.data.synthetic tasks.jsonl | sha256sum | cut -d' ' -f1)"
  assert_jq 'has("lease")' false
  assert_jq .sig.by "$PUB1"
  run -0 --separate-stderr grid-key verify --by "$PUB1" result.jsonl
  assert_jq .ok true
  # Any change breaks the signature.
  jq -c '.train.final.loss = 0' result.jsonl >tampered.jsonl
  run -1 --separate-stderr grid-key verify tampered.jsonl
}

@test "the trace: steps+1 leaves, a root recomputed from them, the final state the last leaf" {
  job-split "$EX/train.json" >tasks.jsonl
  run -0 --separate-stderr job-run --store S tasks.jsonl
  steps=$(jq -r .train.steps tasks.jsonl)
  assert_jq '.train.trace.leaves | length' $((steps + 1))
  assert_jq '.train.trace.leaves | map(test("^[0-9a-f]{64}$")) | all' true
  assert_jq '.train.trace.leaves | unique | length' $((steps + 1))
  assert_jq .train.trace.tree rfc6962
  assert_jq .train.trace.checkpoint_every "$(jq -r .train.checkpoint_every tasks.jsonl)"
  assert_jq .train.trace.root "$(jq -c .train.trace.leaves <<<"$output" | merkle_root hashed)"
  assert_jq '.train.final.state_sha256 == "sha256:" + .train.trace.leaves[-1]' true
  assert_jq .train.final.step "$steps"
  assert_jq '.train.final.model_sha256 | test("^sha256:[0-9a-f]{64}$")' true
  assert_jq '.train.metrics.resumed' false
}

@test "checkpoints and the model are in the store, named by their SHA-256" {
  job-split "$EX/train.json" >tasks.jsonl
  run -0 --separate-stderr job-run --store S --key key1 tasks.jsonl
  printf '%s\n' "$output" >result.jsonl
  # Step 0, every checkpoint_every steps, and the last.
  assert_jq '[.train.trace.checkpoints[].step] | tostring' '[0,20,40,60,80,100,120,140,160,180,200]'
  # Each checkpoint is the state of its step: its hash is that step's leaf.
  assert_jq '[.train.trace as $t | $t.checkpoints[] | .sha256 == "sha256:" + $t.leaves[.step]] | all' true
  while read -r step ref; do
    file=$(object S "$ref")
    assert_file_exist "$file"
    assert_equal "$(sha_of "$file")" "$ref"
    assert_equal "$(stat -c %a "$file")" 444
    # The state serialization of lib/compute/mlp.h: magic, widths, optimizer, step.
    run -0 python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"GRIDMLP1", b[:8]
n, = struct.unpack_from("<I", b, 8)
layers = struct.unpack_from(f"<{n}I", b, 12)
opt, step = struct.unpack_from("<Iq", b, 12 + 4 * n)
print(list(layers), opt, step)' "$file"
    assert_output "[8, 32, 3] 2 $step"
  done < <(jq -r '.train.trace.checkpoints[] | "\(.step) \(.sha256)"' result.jsonl)
  model=$(object S "$(jq -r .train.final.model_sha256 result.jsonl)")
  assert_equal "$(sha_of "$model")" "$(jq -r .train.final.model_sha256 result.jsonl)"
  assert_equal "$(head -c 8 "$model")" GRIDMDL1
  # The result itself, under "result <task> <mode> <signer>".
  ref=$(ref_file S "result $(jq -r .id tasks.jsonl) exact $PUB1")
  assert_file_exist "$ref"
  assert_equal "$(head -c 8 "$(object S "$(cat "$ref")")")" '{"header'
  assert_equal "$(cat "$(object S "$(cat "$ref")")")" "$(cat result.jsonl)"
}

@test "losses fall on the blobs example" {
  job-split "$EX/train.json" >tasks.jsonl
  run -0 --separate-stderr job-run --store S tasks.jsonl
  assert_jq '[.train.losses[].step] | tostring' '[20,40,60,80,100,120,140,160,180,200]'
  assert_jq '[.train.losses[].loss | type] | unique | tostring' '["number"]'
  assert_jq '.train.losses[0].loss > .train.losses[-1].loss' true
  assert_jq '.train.losses[0].loss > .train.final.loss' true
  # Three classes: the start is near log 3; the end well below it.
  assert_jq '.train.final.loss < 0.5' true
}

@test "exact training is bit-reproducible: --threads 1, --threads 2, --force" {
  job-split "$EX/train.json" >tasks.jsonl
  one=$(job-run --store S1 --threads 1 tasks.jsonl)
  two=$(job-run --store S2 --threads 2 tasks.jsonl)
  again=$(job-run --store S2 --threads 2 --force tasks.jsonl)
  [ -n "$one" ] || fail "no result"
  assert_equal "$(proof_part <<<"$two")" "$(proof_part <<<"$one")"
  assert_equal "$(proof_part <<<"$again")" "$(proof_part <<<"$one")"
  assert_equal "$(jq -r .train.final.state_sha256 <<<"$two")" "$(jq -r .train.final.state_sha256 <<<"$one")"
  assert_equal "$(jq -r .train.trace.root <<<"$again")" "$(jq -r .train.trace.root <<<"$one")"
  # The same checkpoints are in both stores.
  for ref in $(jq -r '.train.trace.checkpoints[].sha256' <<<"$one"); do
    cmp "$(object S1 "$ref")" "$(object S2 "$ref")"
  done
}

@test "a task already in the store is not run again: same bytes, and a note" {
  run -0 --separate-stderr job-run --store S --key key1 small.jsonl
  first=$output
  assert_equal "$stderr" ''
  run -0 --separate-stderr job-run --store S --key key1 small.jsonl
  assert_output "$first"
  stderr_has "task $(jq -r .id small.jsonl): result already in the store (--force recomputes it)"
  run -0 --separate-stderr job-run --store S --key key1 -q small.jsonl
  assert_output "$first"
  assert_equal "$stderr" ''
  # --force recomputes: new timings, same proof.
  run -0 --separate-stderr job-run --store S --key key1 --force small.jsonl
  assert_equal "$stderr" ''
  assert_equal "$(proof_part <<<"$output")" "$(proof_part <<<"$first")"
  # Another signer or another mode is another result.
  run -0 --separate-stderr job-run --store S --key key2 small.jsonl
  assert_equal "$stderr" ''
  assert_jq .sig.by "$PUB2"
  run -0 --separate-stderr job-run --store S --key key1 --mode fast small.jsonl
  assert_equal "$stderr" ''
  assert_jq .header.mode fast
}

@test "two job-runs at once on one store (two cron jobs): both finish with the roots of a run of its own, and verify" {
  job-split "$EX/train-sweep.json" >sweep.jsonl
  job-run --store S --key key1 --threads 1 sweep.jsonl >a.jsonl 2>a.err &
  local a=$!
  job-run --store S --key key1 --threads 1 sweep.jsonl >b.jsonl 2>b.err &
  local b=$!
  wait "$a" || fail "the first run failed: $(cat a.err)"
  wait "$b" || fail "the second run failed: $(cat b.err)"
  job-run --store alone --key key1 sweep.jsonl >alone.jsonl
  local want
  want=$(jq -c '[.task, .train.trace.root, .train.final.model_sha256]' alone.jsonl)
  [ "$(wc -l <alone.jsonl)" -eq 6 ]
  [ "$(jq -c '[.task, .train.trace.root, .train.final.model_sha256]' a.jsonl)" = "$want" ]
  [ "$(jq -c '[.task, .train.trace.root, .train.final.model_sha256]' b.jsonl)" = "$want" ]
  run -0 --separate-stderr proof-check --key key1 --tasks sweep.jsonl --store S a.jsonl b.jsonl
  [ "$(jq -r .status <<<"$output" | sort | uniq -c | tr -s ' ')" = " 12 accept" ]
}

@test "--resume after kill -9 gives the same trace as an uninterrupted run" {
  # A bigger MLP: a few seconds of training, checkpoints every 25 steps.
  jq -c '.train.model.layers = [32, 128, 128, 4] | .train.batch = 128 | .train.steps = 400 |
    .train.checkpoint_every = 25 | .train.optimizer.lr = 0.001 |
    .train.data.synthetic = {"kind":"blobs","rows":2048,"features":32,"classes":4,"seed":3}' \
    "$EX/train.json" | job-split >big.jsonl
  progress=$(ref_file S "progress $(jq -r .id big.jsonl) exact")
  job-run --store S --threads 1 big.jsonl >killed.jsonl 2>killed.err &
  pid=$!
  # Kill it once a checkpoint past step 0 is in the store.
  step=0
  for _ in $(seq 400); do
    sleep 0.05
    if [ -f "$progress" ]; then
      step=$(jq -r .step "$(object S "$(cat "$progress")")" 2>/dev/null || echo 0)
      [ "$step" -ge 50 ] && break
    fi
  done
  kill -9 "$pid"
  status=0
  wait "$pid" || status=$?
  assert_equal "$status" 137
  assert_equal "$(cat killed.jsonl)" ''
  [ "$step" -ge 50 ] && [ "$step" -lt 400 ] || fail "progress at step $step"
  # The progress record names a checkpoint that is in the store.
  record=$(object S "$(cat "$progress")")
  state=$(jq -r .state "$record")
  assert_equal "$(sha_of "$(object S "$state")")" "$state"
  # The records chain back to step 0, each holding its own segment's states.
  assert_equal "$(progress_chain S "progress $(jq -r .id big.jsonl) exact" | jq -s '[.[].states | length] | add')" \
    $(($(jq -r .step "$record") + 1))
  run -0 --separate-stderr job-run --store S --threads 1 --resume big.jsonl
  resumed=$output
  assert_jq .train.metrics.resumed true
  assert_jq '.train.trace.leaves | length' 401
  job-run --store U --threads 2 big.jsonl >whole.jsonl
  assert_equal "$(jq -r .train.metrics.resumed whole.jsonl)" false
  assert_equal "$(jq -r .train.final.state_sha256 whole.jsonl)" "$(jq -r .train.final.state_sha256 <<<"$resumed")"
  assert_equal "$(jq -r .train.trace.root whole.jsonl)" "$(jq -r .train.trace.root <<<"$resumed")"
  assert_equal "$(proof_part <whole.jsonl)" "$(proof_part <<<"$resumed")"
}

# progress_chain STORE NAME: the progress records that reference NAME leads
# to, followed back along "prev", oldest first, one a line, each with its
# object's size in bytes added as "_bytes".
progress_chain() {
  python3 -c '
import hashlib, json, sys
store, name = sys.argv[1], sys.argv[2]
def path(ref):
    h = ref.removeprefix("sha256:")
    return f"{store}/sha256/{h[:2]}/{h[2:]}"
h = hashlib.sha256(name.encode()).hexdigest()
ref, chain = open(f"{store}/refs/{h[:2]}/{h[2:]}").read().strip(), []
while ref:
    b = open(path(ref), "rb").read()
    r = json.loads(b)
    r["_bytes"] = len(b)
    chain.append(r)
    ref = r.get("prev")
for r in reversed(chain): print(json.dumps(r, separators=(",", ":")))' "$1" "$2"
}

# object_bytes STORE: the bytes of all its objects.
object_bytes() {
  find "$1/sha256" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }'
}

@test "progress records grow linearly in steps: each holds its own segment" {
  # checkpoint_every 1, the worst case: a record per step. Each must hold
  # only its step (leaf, checkpoint, loss) and a link back, so a trace 4
  # times longer takes about 4 times the store, not 16.
  for n in 100 400; do
    jq -c ".train.steps = $n | .train.checkpoint_every = 1" "$EX/train.json" | job-split >lin$n.jsonl
    job-run --store L$n --threads 1 lin$n.jsonl >lin$n.result
    progress_chain L$n "progress $(jq -r .id lin$n.jsonl) exact" >chain$n.jsonl
    assert_equal "$(wc -l <chain$n.jsonl)" $((n + 1))
    assert_equal "$(jq -sc '[.[].step]' chain$n.jsonl)" "$(jq -c '[range(0; '$n' + 1)]' <<<null)"
    assert_equal "$(jq -sc '[.[].states | length] | unique' chain$n.jsonl)" '[1]'
    assert_equal "$(jq -s '[.[]._bytes] | max < 600' chain$n.jsonl)" true
    # Read back in order, the segments are the result's trace and checkpoints.
    assert_equal "$(jq -sc '[.[].states[]]' chain$n.jsonl)" "$(jq -c .train.trace.leaves lin$n.result)"
    assert_equal "$(jq -sc '[.[].checkpoints[]]' chain$n.jsonl)" "$(jq -c .train.trace.checkpoints lin$n.result)"
    assert_equal "$(jq -sc '[.[].losses[]]' chain$n.jsonl)" "$(jq -c .train.losses lin$n.result)"
  done
  small=$(object_bytes L100) big=$(object_bytes L400)
  echo "store bytes: $small at 100 steps, $big at 400"
  ((2 * big < 9 * small)) || fail "400 steps took $big bytes, 100 steps $small: more than 4.5 times"
}

@test "--resume reads a whole-trace progress record (older stores); a broken chain is 65" {
  id=$(jq -r .id small.jsonl)
  job-run --store S small.jsonl >whole.jsonl
  progress_chain S "progress $id exact" >chain.jsonl
  assert_equal "$(jq -sc '[.[].step]' chain.jsonl)" '[0,10,20,30,40]'
  # A record of the form written before the chain: everything up to step 20
  # in one object, no "prev".
  jq -sjc '.[0:3] | {checkpoints: [.[].checkpoints[]], losses: [.[].losses[]], state: .[-1].state,
    states: [.[].states[]], step: .[-1].step}' chain.jsonl >old.json
  hex=$(sha256sum old.json | cut -d' ' -f1)
  cp -r S T
  mkdir -p "T/sha256/${hex:0:2}"
  cp old.json "T/sha256/${hex:0:2}/${hex:2}"
  echo "sha256:$hex" >"$(ref_file T "progress $id exact")"
  run -0 --separate-stderr job-run --store T --resume --force small.jsonl
  assert_jq .train.metrics.resumed true
  assert_equal "$(proof_part <<<"$output")" "$(proof_part <whole.jsonl)"
  # The run went on from step 20: its records chain back to the old one.
  assert_equal "$(progress_chain T "progress $id exact" | jq -sc '[.[].step]')" '[20,30,40]'
  # The newest record's checkpoint state gone: 65 naming it, not 66.
  cp -r S U
  rm -f "$(object U "$(tail -1 chain.jsonl | jq -r .state)")"
  run -65 --separate-stderr job-run --store U --resume --force small.jsonl
  assert_output ''
  stderr_matches "names checkpoint state sha256:[0-9a-f]{64}, which is not in the store"
  # The newest record itself gone (its reference left): 65, not a silent
  # start from step 0.
  cp -r S V
  rm -f "$(object V "$(cut -d' ' -f1 <"$(ref_file V "progress $id exact")")")"
  run -65 --separate-stderr job-run --store V --resume --force small.jsonl
  assert_output ''
  stderr_has "is not in the store"
  # A record missing from the middle of a chain cannot be resumed from.
  rm -f "$(object S "$(sed -n 3p chain.jsonl | jq -r .prev)")"
  run -65 --separate-stderr job-run --store S --resume --force small.jsonl
  assert_output ''
  stderr_has "is not in the store"
}

@test "a train task whose result would pass the 64 MiB line cap is 65 naming .train.steps" {
  task=$(jq -c '.train.steps = 2000000 | .train.checkpoint_every = 1000 | del(.id)' small.jsonl | grid-key sign --key key1)
  run -65 --separate-stderr job-run --store S <<<"$task"
  assert_output ''
  stderr_has "64 MiB line cap"
  stderr_has "field .train.steps"
  [ ! -e S ] || assert_equal "$(find S -type f | wc -l)" 0
}

# on_tty FILE COMMAND: runs COMMAND with a pseudo-terminal as its stdin,
# stdout and stderr (script(1), util-linux); what it printed there goes to
# FILE, carriage returns dropped. Returns COMMAND's status.
on_tty() {
  local out=$1 status=0
  shift
  script -qec "$*" /dev/null >"$out.raw" || status=$?
  tr -d '\r' <"$out.raw" >"$out"
  return "$status"
}

# rounded FILE: each progress line of FILE has numbers rounded for people:
# a loss of 4 significant digits at most, an integer rate from 100 steps/s
# up (3 significant digits below), an ETA in whole seconds, minutes, hours.
rounded() {
  python3 -c '
import re, sys
for line in open(sys.argv[1]):
    if not line.startswith("job-run: step "): continue
    m = re.fullmatch(r"job-run: step (\d+)/(\d+)  loss (\S+)  (\S+) steps/s  ETA (\d+ s|\d+ min \d+ s|\d+ h \d+ min|-)\n", line)
    assert m, line
    digits = lambda t: len(re.sub(r"e.*", "", t).replace("-", "").replace(".", "").lstrip("0"))
    assert m[3] == "nan" or digits(m[3]) <= 4, line
    assert re.fullmatch(r"\d+", m[4]) if float(m[4]) >= 100 else digits(m[4]) <= 3, line
' "$1"
}

@test "progress on a terminal: step, loss, steps/s, ETA, rounded, as it goes and at the end" {
  on_tty tty.txt "job-run --store S small.jsonl >out.jsonl"
  cat tty.txt
  assert_equal "$(jq -r .train.final.step out.jsonl)" 40
  # The end: every step done, the last loss computed, nothing left.
  grep -Eq '^job-run: step 40/40  loss [0-9][0-9.e+-]*  [0-9.e+]+ steps/s  ETA 0 s$' tty.txt ||
    fail "no final progress line"
  rounded tty.txt
  # -q is quiet there too; without a terminal, stderr stays empty.
  on_tty quiet.txt "job-run -q --store S2 small.jsonl >out2.jsonl"
  assert_equal "$(cat quiet.txt)" ''
  run -0 --separate-stderr job-run --store S3 small.jsonl
  assert_equal "$stderr" ''
  # A run of seconds with its only checkpoint at the end reports as it goes,
  # about once a second: never more than one line a second and the last.
  jq -c '.train.model.layers = [32, 128, 128, 4] | .train.batch = 128 | .train.steps = 3000 |
    .train.checkpoint_every = 3000 | .train.optimizer.lr = 0.001 |
    .train.data.synthetic = {"kind":"blobs","rows":2048,"features":32,"classes":4,"seed":3}' \
    "$EX/train.json" | job-split >long.jsonl
  on_tty long.txt "job-run --store S4 --threads 1 long.jsonl >long.out"
  cat long.txt
  seconds=$(jq '.train.final.step / .train.metrics.steps_per_s' long.out)
  lines=$(grep -c '^job-run: step [0-9]*/3000  loss ' long.txt)
  jq -e --argjson n "$lines" '$n <= (. | floor) + 2' <<<"$seconds" >/dev/null ||
    fail "$lines progress lines in $seconds s"
  assert_equal "$(tail -1 long.txt | cut -d' ' -f2-3)" 'step 3000/3000'
  rounded long.txt
  # Only a run that took 2 s or more must have shown a line before the end
  # (this machine's speed decides how long it takes, never the verdict).
  if jq -e '. >= 2' <<<"$seconds" >/dev/null; then
    grep -Eq '^job-run: step [0-9]+/3000  loss [^ ]+  [0-9.e+]+ steps/s  ETA [1-9]' long.txt ||
      fail "no progress line before the end of a $seconds s run"
  fi
}

# ---- task selection and fan-out ----------------------------------------

@test "--task-index N runs exactly task N" {
  for n in 0 1 3; do
    run -0 --separate-stderr job-run --store S --task-index "$n" gemm4.jsonl
    assert_equal "${#lines[@]}" 1
    assert_jq .index "$n"
    assert_jq .task "$(sed -n "$((n + 1))p" gemm4.jsonl | jq -r .id)"
    assert_jq .gemm.row_begin $((n * 16))
  done
  # Other messages are passed with --pass and are not counted.
  { echo '{"kind":"verdict","v":1}' && cat gemm4.jsonl; } >mixed.jsonl
  run -0 --separate-stderr job-run --store S --pass --task-index 2 mixed.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .kind <<<"${lines[0]}")" verdict
  assert_equal "$(jq -r .index <<<"${lines[1]}")" 2
}

@test "--task-index env reads SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX" {
  SLURM_ARRAY_TASK_ID=2 run -0 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .index 2
  JOB_COMPLETION_INDEX=1 run -0 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .index 1
  SLURM_ARRAY_TASK_ID=3 JOB_COMPLETION_INDEX=1 run -0 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_jq .index 3
  SLURM_ARRAY_TASK_ID= JOB_COMPLETION_INDEX=0 run -0 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_jq .index 0
  run -64 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_output ''
  stderr_has SLURM_ARRAY_TASK_ID
  stderr_has JOB_COMPLETION_INDEX
  SLURM_ARRAY_TASK_ID=x run -64 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_output ''
  stderr_has SLURM_ARRAY_TASK_ID
}

@test "--task-index past the last task is a usage error (64)" {
  run -64 --separate-stderr job-run --store S --task-index 4 gemm4.jsonl
  assert_output ''
  stderr_has "only 4 task(s)"
  SLURM_ARRAY_TASK_ID=9 run -64 --separate-stderr job-run --store S --task-index env gemm4.jsonl
  assert_output ''
  : >empty.jsonl
  run -64 --separate-stderr job-run --store S --task-index 0 empty.jsonl
  # Without --task-index an empty input is no work and no error.
  run -0 --separate-stderr job-run --store S empty.jsonl
  assert_output ''
}

@test "fan-out with GNU parallel gives the results of a sequential run" {
  jq -c '.train.steps = 30 | .train.checkpoint_every = 10' "$EX/train-sweep.json" | job-split >tasks.jsonl
  assert_equal "$(wc -l <tasks.jsonl)" 6
  job-run --store Q tasks.jsonl >sequential.jsonl
  parallel --will-cite -j2 job-run --store P --threads 1 --task-index {} tasks.jsonl ::: 0 1 2 3 4 5 >parallel.jsonl
  assert_equal "$(wc -l <parallel.jsonl)" 6
  summary='sort_by(.index) | map([.index, .task, .train.trace.root, .train.final.state_sha256, .train.sweep_point])'
  assert_equal "$(jq -s -c "$summary" parallel.jsonl)" "$(jq -s -c "$summary" sequential.jsonl)"
  assert_equal "$(jq -s -c '[.[].train.trace.root] | unique | length' sequential.jsonl)" 6
  assert_equal "$(jq -r .task sequential.jsonl)" "$(jq -r .id tasks.jsonl)"
}

# ---- leases, pass-through, trust ---------------------------------------

@test "a lease wrapping a task runs; the result names the lease" {
  task=$(sed -n 2p gemm4.jsonl)
  printf '{"kind":"lease","v":1,"price_micros":5,"task":%s}\n' "$task" | grid-key id >lease.jsonl
  run -0 --separate-stderr job-run --store S lease.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .lease "$(jq -r .id lease.jsonl)"
  assert_jq .task "$(jq -r .id <<<"$task")"
  assert_jq .index 1
  bare=$(job-run --store B --task-index 1 gemm4.jsonl)
  assert_equal "$(jq -c .gemm.row_root <<<"$output")" "$(jq -c .gemm.row_root <<<"$bare")"
  # The task may also sit in the lease's order.
  printf '{"kind":"lease","v":1,"order":{"kind":"order","v":1,"task":%s}}\n' "$task" | grid-key sign --key key2 >lease2.jsonl
  run -0 --separate-stderr job-run --store S2 --key key1 lease2.jsonl
  assert_jq .lease "$(jq -r .id lease2.jsonl)"
  assert_jq .gemm.row_root "$(jq -r .gemm.row_root <<<"$bare")"
  grid-key verify --by "$PUB1" <<<"$output" >/dev/null
}

@test "a lease is checked as a task is: an id not its content's, a bad signature or no id is 65, and nothing runs" {
  task=$(sed -n 2p gemm4.jsonl)
  printf '{"kind":"lease","v":1,"price_micros":5,"deadline":"2099-01-01T00:00:00Z","task":%s}\n' "$task" |
    grid-key sign --key key2 >lease.jsonl
  # Edited after signing: the deadline moved, the id kept.
  jq -c '.deadline = "2000-01-01T00:00:00Z"' lease.jsonl >moved.jsonl
  run -65 --separate-stderr job-run --store S moved.jsonl
  assert_output ''
  stderr_matches "^job-run: error: lease: .*\(input line 1 of moved.jsonl, field \.id\)$"
  # Re-hashed but not re-signed: the signature fails.
  jq -c 'del(.id)' moved.jsonl | jq -c ".id = \"$(jq -c 'del(.id, .sig)' moved.jsonl | grid-key id | jq -r .id)\"" >resigned.jsonl
  run -65 --separate-stderr job-run --store S resigned.jsonl
  stderr_matches "field \.sig\)$"
  # A made-up id, and none at all.
  jq -c '.id = "sha256:'"$(printf '0%.0s' {1..64})"'" | del(.sig)' lease.jsonl >zeros.jsonl
  run -65 --separate-stderr job-run --store S zeros.jsonl
  stderr_matches "field \.id\)$"
  jq -c 'del(.id, .sig)' lease.jsonl >bare.jsonl
  run -65 --separate-stderr job-run --store S bare.jsonl
  stderr_matches "field \.id\)$"
  [ ! -d S/sha256 ] || [ -z "$(find S/sha256 -type f)" ] || fail "a task ran: $(find S -type f)"
  # A bad task is named before its lease.
  jq -c '.task.gemm.m = 0' bare.jsonl >both.jsonl
  run -65 --separate-stderr job-run --store S both.jsonl
  stderr_matches "^job-run: error: task: "
  run -0 --separate-stderr job-run --store S lease.jsonl
  assert_jq .lease "$(jq -r .id lease.jsonl)"
}

@test "a result in the store is not handed out for a lease it does not name" {
  task=$(sed -n 1p gemm4.jsonl)
  printf '{"kind":"lease","v":1,"task":%s}\n' "$task" | grid-key id >lease.jsonl
  # The bare task first: its result, which names no lease, goes to the store.
  run -0 --separate-stderr job-run --store S --task-index 0 gemm4.jsonl
  assert_jq 'has("lease")' false
  run -0 --separate-stderr job-run --store S lease.jsonl
  assert_jq .lease "$(jq -r .id lease.jsonl)"
}

# ---- lease deadlines ---------------------------------------------------

# deadline_lease TASK DEADLINE: a lease of TASK due at DEADLINE, with its id.
deadline_lease() {
  jq -c --arg d "$2" '{kind: "lease", v: 1, deadline: $d, task: .}' <<<"$1" | grid-key id
}

@test "a lease whose deadline has passed is run, with one warning naming the lease and how late" {
  deadline_lease "$(sed -n 1p gemm4.jsonl)" 2026-11-28T20:00:00Z >late.jsonl
  lease=$(jq -r .id late.jsonl)
  run -0 --separate-stderr job-run --store S --now 2026-11-28T20:01:30Z late.jsonl
  assert_jq .lease "$lease"
  assert_equal "$(grep -c . <<<"$stderr")" 1
  stderr_matches "^job-run: warning: lease $lease: its deadline 2026-11-28T20:00:00Z had passed when this run started, 1 min 30 s after it; pay-settle gives a lease's hold back to the buyer once its deadline has passed\$"
  # A result the store already holds is late all the same.
  run -0 --separate-stderr job-run --store S --now 2026-11-28T20:01:30Z late.jsonl
  stderr_has "had passed when this run started"
  # Before the deadline, nothing is said; --quiet silences the warning.
  run -0 --separate-stderr job-run --store S --force --now 2026-11-28T19:00:00Z late.jsonl
  assert_equal "$stderr" ''
  run -0 --separate-stderr job-run --store S --force --now 2026-11-28T21:00:00Z -q late.jsonl
  assert_equal "$stderr" ''
}

@test "a warning is stderr only: a late lease's result commits to the same work as an early one's" {
  deadline_lease "$(sed -n 1p small.jsonl)" 2026-11-28T20:00:00Z >lease.jsonl
  job-run --store A --now 2026-11-28T19:00:00Z lease.jsonl 2>early.err | proof_part >early.json
  job-run --store B --now 2026-11-28T21:00:00Z lease.jsonl 2>late.err | proof_part >late.json
  assert_equal "$(cat early.err)" ''
  grep -q 'had passed' late.err || fail "no warning: $(cat late.err)"
  assert_equal "$(cat late.json)" "$(cat early.json)"
}

@test "a run whose measured pace ends past its lease's deadline is warned of once, while it runs" {
  # Two seconds of steps or more on one thread, however idle the machine
  # (the first projection is made a second in; 3000 steps took 0.9 s on
  # an idle Xeon, and so ended before it), due one second after the run
  # starts: at any pace the steps still to do end past the deadline.
  jq -c '.train.steps = 8000 | .train.checkpoint_every = 8000 | .train.model.layers = [8, 256, 3] | .train.batch = 256' \
    "$EX/train.json" | job-split >long.jsonl
  deadline_lease "$(cat long.jsonl)" 2026-11-28T20:00:00Z >lease.jsonl
  run -0 --separate-stderr job-run --threads 1 --store S --now 2026-11-28T19:59:59Z lease.jsonl
  assert_equal "$(grep -c . <<<"$stderr")" 1
  stderr_matches "^job-run: warning: lease $(jq -r .id lease.jsonl): at its pace so far \(([0-9]+) of 8000 steps in [0-9]+ s\) it ends about 2026-11-28T2[0-9:]+Z, [0-9 minhs]+ past its deadline 2026-11-28T20:00:00Z; pay-settle"
}

@test "a lease's deadline that is no time is 65 naming it; a late lease's bad task is its error alone; a bad --now is 64" {
  deadline_lease "$(sed -n 1p gemm4.jsonl)" tomorrow >bad.jsonl
  run -65 --separate-stderr job-run --store S bad.jsonl
  assert_output ''
  stderr_matches '^job-run: error: deadline tomorrow is not an RFC 3339 time \(input line 1 of bad\.jsonl, field \.deadline\)$'
  # A late lease whose task is malformed: the error alone, no warning first.
  deadline_lease "$(sed -n 1p gemm4.jsonl | jq -c '.gemm.k = -1' | grid-key id)" 2026-11-28T20:00:00Z >late-bad.jsonl
  run -65 --separate-stderr job-run --store S --now 2026-11-28T21:00:00Z late-bad.jsonl
  assert_equal "$stderr" 'job-run: error: -1 is outside 1..1048576 (input line 1 of late-bad.jsonl, field .gemm.k)'
  deadline_lease "$(sed -n 1p gemm4.jsonl)" 2026-11-28T20:00:00Z >ok.jsonl
  run -64 --separate-stderr job-run --store S --now yesterday ok.jsonl
  assert_output ''
  stderr_matches '^job-run: error: --now yesterday: '
}

@test "--pass passes other messages in place; without it they are 65" {
  printf '%s\n' '{"kind":"verdict","v":1,"ok":true}' "$(sed -n 1p gemm4.jsonl)" \
    '{"kind":"lease","v":1,"note":"no task"}' >mixed.jsonl
  run -0 --separate-stderr job-run --store S --pass mixed.jsonl
  assert_equal "${#lines[@]}" 3
  assert_equal "$(jq -cS . <<<"${lines[0]}")" '{"kind":"verdict","ok":true,"v":1}'
  assert_equal "$(jq -r .kind <<<"${lines[1]}")" result
  assert_equal "$(jq -cS . <<<"${lines[2]}")" '{"kind":"lease","note":"no task","v":1}'
  run -65 --separate-stderr job-run --store S mixed.jsonl
  assert_output ''
  stderr_matches '^job-run: error: .*\(input line 1 of mixed\.jsonl, field \.kind\)$'
  # A lease without its task is named as that, not as a wrong kind.
  run -65 --separate-stderr job-run --store S <(sed -n 3p mixed.jsonl)
  stderr_matches '^job-run: error: the lease wraps no task \(neither \.task nor \.order\.task\) \(input line 1 of .*, field \.task\)$'
}

@test "a tampered or malformed task is 65 naming the line and field" {
  task=$(sed -n 1p gemm4.jsonl)
  bad_task() {
    printf '%s\n' "$1" >bad.jsonl
    run -65 --separate-stderr job-run --store S bad.jsonl
    assert_output ''
    [[ $stderr == "job-run: error: "*"(input line 1 of bad.jsonl, field $2)" ]] ||
      fail "want an error naming field $2; stderr was: $stderr"
  }
  # Changed after it was cut: the id no longer matches.
  bad_task "$(jq -c '.gemm.seed = 43' <<<"$task")" .id
  bad_task "$(jq -c '.gemm.row_end = 64' <<<"$task")" .id
  bad_task "$(jq -c 'del(.id)' <<<"$task")" .id
  signed=$(grid-key sign --key key2 <<<"$task")
  bad_task "$(jq -c '.gemm.m = 128' <<<"$signed")" .id
  # The id holds, the signature does not: as every tool names it.
  bad_task "$(jq -c '.sig.sig |= .[0:127] + (if .[127:] == "0" then "1" else "0" end)' <<<"$signed")" .sig
  # Consistent ids, bad content.
  bad_task "$(jq -c '.type = "bake"' <<<"$task" | grid-key id)" .type
  bad_task "$(jq -c 'del(.gemm)' <<<"$task" | grid-key id)" .gemm
  bad_task "$(jq -c '.gemm.m = 0' <<<"$task" | grid-key id)" .gemm.m
  bad_task "$(jq -c '.gemm.dtype = "bf16"' <<<"$task" | grid-key id)" .gemm.dtype
  bad_task "$(jq -c '.v = 2' <<<"$task")" .v
  # Fields of the wrong type (found by tests/fuzz.bats) are named, not escaped json exceptions.
  bad_task "$(jq -c '.kind = []' <<<"$task")" .kind
  bad_task "$(jq -c '.mode = 5' <<<"$task" | grid-key id)" .mode
  # A lease whose task is tampered.
  bad_task "{\"kind\":\"lease\",\"v\":1,\"task\":$(jq -c '.gemm.seed = 43' <<<"$task")}" .id
  # Malformed JSON, after a good task.
  printf '%s\n' "$task" '{"kind":' >bad.jsonl
  run -65 --separate-stderr job-run --store S bad.jsonl
  assert_equal "${#lines[@]}" 1
  stderr_matches '^job-run: error: malformed JSON.*\(input line 2 of bad\.jsonl\)$'
}

@test "a task job-split would refuse is refused before it runs: 65 naming the field, no file read" {
  task=$(sed -n 1p small.jsonl)
  refused() {
    jq -c "$1" <<<"$task" | grid-key id >bad.jsonl
    run -65 --separate-stderr job-run --store S bad.jsonl
    assert_output ''
    [[ $stderr == "job-run: error: "*"(input line 1 of bad.jsonl, field $2)" ]] ||
      fail "for $1 want an error naming field $2; stderr was: $stderr"
    # The same content as a job: job-split refuses it at the same field.
    jq -c '{kind: "job", v: 1, type, train}' bad.jsonl >job.jsonl
    run -65 --separate-stderr job-split job.jsonl
    [[ $stderr == *"field $2)" ]] || fail "job-split: want field $2; stderr was: $stderr"
  }
  refused '.train.data.synthetic.rows = 33554433' .train.data.synthetic.rows
  stderr_has "at most 33554432 rows"
  # No x.csv here: the labels are missed before any file is opened (not 66).
  refused '.train.data = {"format":"csv","x":{"path":"x.csv"}}' .train.data.y
  refused '.train.data.shuffle = true' .train.data.shuffle
  refused '.train.data = {"format":"csv","x":{"path":"x.csv","sha":"sha256:00"},"y":{"path":"y.csv"}}' .train.data.x.sha
}

@test "a task's job, index, count or seed of the wrong type is 65 naming it, for every kind: no result signed" {
  # One task of each kind and a sweep point; refused before any input is
  # read, so the render scene and the infer model need not exist.
  {
    sed -n 1p gemm4.jsonl
    sed -n 1p small.jsonl
    job-split "$EX/train-sweep.json" | sed -n 2p
    job-split "$EX/infer.json" | sed -n 1p
    job-split "$ROOT/examples/render/job.json" | sed -n 1p
    jq -cn '{kind: "job", v: 1, type: "exec", exec: {command: ["true"], image: "host"}}' | job-split
  } >kinds.jsonl
  [ "$(wc -l <kinds.jsonl)" -eq 6 ]
  local task edit field
  while read -r task; do
    for edit in '.index = "0"' '.index = 1.5' '.index = -1' '.index = .count' '.seed = 1.5' '.seed = "7"' \
      '.seed = {}' '.job = {}' '.job = 5' '.job = "sha256:00"' '.count = "1"' '.count = 0'; do
      field=${edit%% =*}
      jq -c "$edit | del(.id)" <<<"$task" | grid-key id >bad.jsonl
      run -65 --separate-stderr job-run --store S --key key1 bad.jsonl
      assert_output ''
      [[ $stderr == "job-run: error: "*"(input line 1 of bad.jsonl, field $field)" ]] ||
        fail "$(jq -r .type <<<"$task") task, $edit: stderr was: $stderr"
    done
  done <kinds.jsonl
  jq -c '.index = 4 | del(.id)' <<<"$(sed -n 1p gemm4.jsonl)" | grid-key id >bad.jsonl
  run -65 --separate-stderr job-run --store S bad.jsonl
  stderr_has "index 4 is not below count 4 (input line 1 of bad.jsonl, field .index)"
  # The validator lease-bid order offers a task by is the same one.
  jq -c '.seed = 1.5 | del(.id)' <<<"$(sed -n 1p gemm4.jsonl)" | grid-key id >bad.jsonl
  run -65 --separate-stderr lease-bid order --key key1 --max-price 1000 --deadline 1h bad.jsonl
  stderr_has "(input line 1 of bad.jsonl, field .seed)"
}

@test "--keep-going runs the good tasks, reports the bad, exits 65" {
  printf '%s\n' "$(sed -n 1p gemm4.jsonl | jq -c '.gemm.seed = 1')" "$(sed -n 2p gemm4.jsonl)" >mixed.jsonl
  run -65 --separate-stderr job-run --store S --keep-going mixed.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .index 1
  stderr_has "input line 1 of mixed.jsonl, field .id"
  stderr_has "1 bad input line(s)"
}

# ---- gemm --------------------------------------------------------------

@test "gemm: c_sha256 is the stored C; row leaves and root recomputed from it" {
  job-split --tasks 4 "$EX/gemm.json" >tasks.jsonl
  run -0 --separate-stderr job-run --store S --task-index 1 tasks.jsonl
  assert_jq '[.type, .gemm.row_begin, .gemm.row_end, .header.mode] | tostring' '["gemm",128,256,"exact"]'
  assert_jq '.gemm.row_leaves | length' 128
  c=$(object S "$(jq -r .gemm.c_sha256 <<<"$output")")
  assert_file_exist "$c"
  assert_equal "$(sha_of "$c")" "$(jq -r .gemm.c_sha256 <<<"$output")"
  assert_equal "$(stat -c %s "$c")" $((128 * 512 * 4))
  assert_jq .gemm.row_root "$(jq -c .gemm.row_leaves <<<"$output" | merkle_root raw)"
  # Each leaf is SHA-256(0x00 || that row's bytes in the stored C).
  leaves=$(python3 -c '
import hashlib, json, sys
b = open(sys.argv[1], "rb").read()
w = 512 * 4
print(json.dumps([hashlib.sha256(b"\x00" + b[i:i + w]).hexdigest() for i in range(0, len(b), w)]))' "$c")
  assert_equal "$(jq -c . <<<"$leaves")" "$(jq -c .gemm.row_leaves <<<"$output")"
}

@test "gemm: the row blocks of 4 tasks are the rows of one whole task" {
  job-split --tasks 4 "$EX/gemm.json" >four.jsonl
  job-split "$EX/gemm.json" >one.jsonl
  job-run --store S four.jsonl >four-results.jsonl
  job-run --store S one.jsonl >one-result.jsonl
  assert_equal "$(jq -s -c '[.[].gemm.row_leaves[]]' four-results.jsonl)" "$(jq -c .gemm.row_leaves one-result.jsonl)"
  for ref in $(jq -r .gemm.c_sha256 four-results.jsonl); do cat "$(object S "$ref")"; done >joined
  assert_equal "$(sha_of joined)" "$(jq -r .gemm.c_sha256 one-result.jsonl)"
  # And C is the challenge's C of gpu-bench(1) for the same seed.
  jq -c '.gemm.m = 64 | .gemm.n = 64 | .gemm.k = 64' "$EX/gemm.json" | job-split | job-run --store S >sq.jsonl
  echo '{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"f32","deadline_ms":60000}' |
    gpu-bench --device cpu --key key1 --challenge - >answer.jsonl
  assert_equal "$(jq -c '.gemm | [.c_sha256, .row_root]' sq.jsonl)" "$(jq -c '.answer | [.c_sha256, .row_root]' answer.jsonl)"
}

@test "--mode fast runs, says so, and stays close to exact" {
  job-split --tasks 4 "$EX/gemm.json" >tasks.jsonl
  exact=$(job-run --store S --task-index 2 tasks.jsonl)
  run -0 --separate-stderr job-run --store S --task-index 2 --mode fast tasks.jsonl
  assert_jq .header.mode fast
  assert_jq '.gemm.row_leaves | length' 128
  # Both results are in the store under their own mode.
  run -0 --separate-stderr job-run --store S --task-index 2 tasks.jsonl
  assert_output "$exact"
  fast=$(object S "$(job-run --store S --task-index 2 --mode fast tasks.jsonl | jq -r .gemm.c_sha256)")
  ex=$(object S "$(jq -r .gemm.c_sha256 <<<"$exact")")
  run -0 "$NUMPY" -c '
import numpy as np, sys
a = np.fromfile(sys.argv[1], "<f4"); b = np.fromfile(sys.argv[2], "<f4")
assert a.shape == b.shape == (128 * 512,), (a.shape, b.shape)
print(float(np.max(np.abs(a - b))))
assert np.allclose(a, b, rtol=1e-4, atol=1e-4)' "$ex" "$fast"
  # A fast train run, too.
  run -0 --separate-stderr job-run --store S --mode fast small.jsonl
  assert_jq .header.mode fast
  assert_jq '.train.final.step' 40
}

# loads_openblas CMD...: runs CMD with the dynamic loader reporting every
# library it maps (LD_DEBUG=libs, on stderr); succeeds when OpenBLAS is one.
loads_openblas() {
  LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -q 'libopenblas'
}

@test "OpenBLAS is loaded by fast mode alone: not by exact mode, nor by a tool that never multiplies" {
  run -0 loads_openblas job-run --store S --task-index 0 --mode fast gemm4.jsonl
  run -1 loads_openblas job-run --store S --task-index 0 gemm4.jsonl
  run -1 loads_openblas grid-key pub --key key1
  for tool in "$ROOT"/build/bin/*; do
    run -0 ldd "$tool"
    refute_output --partial openblas
  done
}

@test "fast mode without OpenBLAS is exit 69, naming the library; exact mode does not need it" {
  GRID_OPENBLAS=libgridutils-no-such-blas.so.0 run -69 --separate-stderr \
    job-run --store S --task-index 0 --mode fast gemm4.jsonl
  stderr_matches '^job-run: error: fast mode needs OpenBLAS: libgridutils-no-such-blas\.so\.0: '
  GRID_OPENBLAS=libgridutils-no-such-blas.so.0 run -0 --separate-stderr job-run --store S --task-index 0 gemm4.jsonl
  assert_jq .header.mode exact
}

# ---- infer -------------------------------------------------------------

@test "infer: a trained model's predictions are in the store, batch by batch" {
  run -0 --separate-stderr job-run --store S small.jsonl
  model=$(jq -r .train.final.model_sha256 <<<"$output")
  jq -nc --arg m "$model" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m,layers:[8,32,3]},
    data:{synthetic:{kind:"blobs",rows:300,features:8,classes:3,seed:6}},batch:64}}' >infer.json
  job-split infer.json >infer-tasks.jsonl
  run -0 --separate-stderr job-run --store S --key key1 infer-tasks.jsonl
  printf '%s\n' "$output" >result.jsonl
  grid-key verify --by "$PUB1" result.jsonl >/dev/null
  assert_jq '[.type, .infer.row_begin, .infer.row_end, .infer.batch] | tostring' '["infer",0,300,64]'
  assert_jq .header.inputs.model "$model"
  pred=$(object S "$(jq -r .infer.predictions_sha256 result.jsonl)")
  assert_file_exist "$pred"
  assert_equal "$(sha_of "$pred")" "$(jq -r .infer.predictions_sha256 result.jsonl)"
  assert_jq '.infer.trace.leaves | length' 5
  assert_jq .infer.trace.root "$(jq -c .infer.trace.leaves result.jsonl | merkle_root hashed)"
  # The .npy holds softmax rows; each leaf is the SHA-256 of one batch.
  run -0 "$NUMPY" -c '
import hashlib, json, sys
import numpy as np
p = np.load(sys.argv[1])
assert p.dtype == np.dtype("<f4") and p.shape == (300, 3), (p.dtype, p.shape)
assert np.all(p >= 0) and np.all(p <= 1) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
leaves = [hashlib.sha256(p[b:b + 64].astype("<f4").tobytes()).hexdigest() for b in range(0, 300, 64)]
print(json.dumps(leaves))' "$pred"
  assert_equal "$(jq -c . <<<"$output")" "$(jq -c .infer.trace.leaves result.jsonl)"
  # Shards predict the same rows as the whole.
  job-split --shard-rows 128 infer.json | job-run --store S >shards.jsonl
  assert_equal "$(jq -s -c '[.[].infer | [.row_begin, .row_end]]' shards.jsonl)" '[[0,128],[128,256],[256,300]]'
  run -0 "$NUMPY" -c '
import sys
import numpy as np
whole = np.load(sys.argv[1])
parts = np.concatenate([np.load(f) for f in sys.argv[2:]])
assert parts.tobytes() == whole.tobytes()' "$pred" $(for r in $(jq -r .infer.predictions_sha256 shards.jsonl); do object S "$r"; done)
}

@test "infer: a model in neither the store nor a URL is 66; by file:// URL it is fetched" {
  job-run --store S small.jsonl >train.jsonl
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  job=$(jq -nc --arg m "$model" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m},
    data:{synthetic:{kind:"blobs",rows:100,features:8,classes:3,seed:6}},batch:50}}')
  run -66 --separate-stderr job-run --store Empty <<<"$(job-split <<<"$job")"
  assert_output ''
  stderr_has "$model"
  stderr_has "field .infer.model"
  # From a URL: checked, used, and kept in the store.
  cp "$(object S "$model")" model.bin
  with_url=$(jq -c --arg u "file://$PWD/model.bin" '.infer.model.url = $u' <<<"$job" | job-split)
  run -0 --separate-stderr job-run --store Fetched <<<"$with_url"
  assert_equal "$(jq -r .infer.predictions_sha256 <<<"$output")" \
    "$(job-split <<<"$job" | job-run --store S | jq -r .infer.predictions_sha256)"
  assert_file_exist "$(object Fetched "$model")"
  # A URL whose bytes are another file's: 65.
  cp "$(object S "$(jq -r .train.trace.checkpoints[0].sha256 train.jsonl)")" other.bin
  run -65 --separate-stderr job-run --store Other <<<"$(jq -c --arg u "file://$PWD/other.bin" '.infer.model.url = $u' <<<"$job" | job-split)"
  assert_output ''
  stderr_has "field .infer.model.sha256"
  assert_not_exist "$(object Other "$model")"
  assert_equal "$(find Other/tmp -type f | wc -l)" 0
}

@test "infer: data of another width than the model's inputs is 65 naming .infer.data" {
  job-run --store S small.jsonl >train.jsonl
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  # [8,32,3]: 5 features would read past the data, 20 would misalign rows.
  for f in 5 20; do
    jq -nc --arg m "$model" --argjson f "$f" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m},
      data:{synthetic:{kind:"blobs",rows:100,features:$f,classes:3,seed:6}},batch:50}}' | job-split >wide.jsonl
    run -65 --separate-stderr job-run --store S wide.jsonl
    assert_output ''
    assert_equal "$stderr" "job-run: error: the data has $f features, the model takes 8 (input line 1 of wide.jsonl, field .infer.data)"
  done
}

@test "infer: a training checkpoint serves as the model once its loss is named" {
  job-run --store S small.jsonl >train.jsonl
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  last=$(jq -r '.train.trace.checkpoints[-1] | select(.step == 40) | .sha256' train.jsonl)
  first=$(jq -r '.train.trace.checkpoints[0].sha256' train.jsonl)
  infer_job() {
    local extra=${2:-'{}'}
    jq -nc --arg m "$1" --argjson extra "$extra" '{kind:"job",v:1,type:"infer",infer:{model:({sha256:$m} + $extra),
      data:{synthetic:{kind:"blobs",rows:100,features:8,classes:3,seed:6}},batch:32}}' | job-split
  }
  want=$(infer_job "$model" | job-run --store S | jq -r .infer.trace.root)
  # The step-40 checkpoint holds the final weights: the same predictions.
  run -0 --separate-stderr job-run --store S <<<"$(infer_job "$last" '{"loss":"softmax_xent"}')"
  assert_jq .infer.trace.root "$want"
  assert_jq .header.inputs.model "$last"
  # The initial checkpoint predicts, differently.
  run -0 --separate-stderr job-run --store S <<<"$(infer_job "$first" '{"loss":"softmax_xent","layers":[8,32,3]}')"
  [[ $(jq -r .infer.trace.root <<<"$output") != "$want" ]] || fail "step 0 predicts as step 40"
  # A checkpoint does not say which loss trained it; a model does.
  run -65 --separate-stderr job-run --store S <<<"$(infer_job "$last")"
  stderr_has "field .infer.model.loss"
  run -65 --separate-stderr job-run --store S <<<"$(infer_job "$model" '{"loss":"mse"}')"
  stderr_has "the model was trained with softmax_xent, not mse (input line 1, field .infer.model.loss)"
  run -65 --separate-stderr job-run --store S <<<"$(infer_job "$model" '{"layers":[8,16,3]}')"
  stderr_has "field .infer.model.layers"
  # Bytes that are neither name the model's hash.
  printf 'not a model' >junk.bin
  junk=$(sha_of junk.bin)
  run -65 --separate-stderr job-run --store S <<<"$(infer_job "$junk" "{\"url\":\"file://$PWD/junk.bin\"}")"
  stderr_has "starts with neither GRIDMDL1 (a model) nor GRIDMLP1 (a checkpoint)"
  stderr_has "field .infer.model.sha256"
  # job-split refuses a loss that is neither.
  run -65 --separate-stderr job-split <<<"$(jq -nc --arg m "$last" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m,loss:"hinge"},
    data:{synthetic:{kind:"blobs",rows:100,features:8,classes:3,seed:6}},batch:32}}')"
  stderr_has "field .infer.model.loss"
}

# ---- data files --------------------------------------------------------

# make_data: x.npy (64 x 4 float32), y.npy (64 int32 labels) and the same
# numbers as x.csv and y.csv, written so that they read back exactly.
make_data() {
  "$NUMPY" -c '
import numpy as np
rng = np.random.default_rng(7)
x = rng.standard_normal((64, 4)).astype(np.float32)
y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
np.save("x.npy", x); np.save("y.npy", y)
np.savetxt("x.csv", x, delimiter=",", fmt="%.9g", header="a,b,c,d", comments="")
np.savetxt("y.csv", y, delimiter=",", fmt="%d")'
}

# file_job DATA-JSON: a train job over 4 features and 2 classes.
file_job() {
  jq -nc --argjson d "$1" '{kind:"job",v:1,type:"train",train:{model:{layers:[4,8,2]},loss:"softmax_xent",
    optimizer:{name:"sgd",lr:0.1},batch:16,steps:20,seed:1,checkpoint_every:5,data:$d}}'
}

@test "exact training on .npy files named by path and SHA-256; a wrong SHA-256 is 65" {
  make_data
  xs=$(sha_of x.npy)
  ys=$(sha_of y.npy)
  file_job "{\"format\":\"npy\",\"x\":{\"path\":\"x.npy\",\"sha256\":\"$xs\"},\"y\":{\"path\":\"y.npy\",\"sha256\":\"$ys\"},\"rows\":64}" |
    job-split >tasks.jsonl
  run -0 --separate-stderr job-run --store S tasks.jsonl
  assert_jq .train.final.step 20
  assert_jq '.train.trace.leaves | length' 21
  assert_jq .header.inputs.data.x "$xs"
  assert_jq .header.inputs.data.y "$ys"
  assert_jq .train.trace.root "$(jq -c .train.trace.leaves <<<"$output" | merkle_root hashed)"
  # x named with y's hash.
  file_job "{\"format\":\"npy\",\"x\":{\"path\":\"x.npy\",\"sha256\":\"$ys\"},\"y\":{\"path\":\"y.npy\",\"sha256\":\"$ys\"}}" |
    job-split >wrong.jsonl
  run -65 --separate-stderr job-run --store S wrong.jsonl
  assert_output ''
  stderr_has x.npy
  stderr_has "$ys"
  stderr_has "field .train.data.x.sha256"
  # A missing file is 66; rows that disagree with the file are 65.
  file_job '{"format":"npy","x":{"path":"no-such.npy"},"y":{"path":"y.npy"}}' | job-split >missing.jsonl
  run -66 --separate-stderr job-run --store S missing.jsonl
  stderr_has no-such.npy
  stderr_has "field .train.data.x.path"
  file_job '{"format":"npy","x":{"path":"x.npy"},"y":{"path":"y.npy"},"rows":65}' | job-split >rows.jsonl
  run -65 --separate-stderr job-run --store S rows.jsonl
  stderr_has "field .train.data.rows"
  # Training needs labels: job-split refuses the job, as job-run would its task.
  run -65 --separate-stderr job-split <<<"$(file_job '{"format":"npy","x":{"path":"x.npy"}}')"
  assert_output ''
  stderr_has "field .train.data.y"
}

@test "CSV data works, and trains bit for bit like the same numbers in .npy" {
  make_data
  file_job '{"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}' | job-split >csv.jsonl
  file_job '{"format":"npy","x":{"path":"x.npy"},"y":{"path":"y.npy"}}' | job-split >npy.jsonl
  run -0 --separate-stderr job-run --store S csv.jsonl
  # Named without a sha256: the header commits to the bytes read.
  assert_jq .header.inputs.data.x "$(sha_of x.csv)"
  assert_jq .header.inputs.data.y "$(sha_of y.csv)"
  assert_jq .train.final.step 20
  csv_state=$(jq -r .train.final.state_sha256 <<<"$output")
  run -0 --separate-stderr job-run --store S npy.jsonl
  assert_jq .train.final.state_sha256 "$csv_state"
  # CSV by a file:// URL with its SHA-256.
  file_job "{\"format\":\"csv\",\"x\":{\"url\":\"file://$PWD/x.csv\",\"sha256\":\"$(sha_of x.csv)\"},\"y\":{\"path\":\"y.csv\"}}" |
    job-split >url.jsonl
  run -0 --separate-stderr job-run --store S url.jsonl
  assert_jq .train.final.state_sha256 "$csv_state"
  assert_jq .header.inputs.data.x "$(sha_of x.csv)"
  # Training data by URL is kept in the store, by its sha256, like infer's.
  assert_equal "$(sha_of "$(object S "$(sha_of x.csv)")")" "$(sha_of x.csv)"
}

# user_csv: make_data's numbers as a spreadsheet exports them, written by
# Python's csv module: ';' between fields, CRLF, a header of quoted names,
# every field of every other row quoted; y as class names, one holding
# the delimiter and quotes, the other a line end. ymap.npy holds the classes
# the names stand for (numbered in the order they first appear), and
# labels.json the names in class order.
user_csv() {
  make_data
  "$NUMPY" -c '
import csv, json
import numpy as np
x = np.load("x.npy"); y = np.load("y.npy")
names = {0: "no; \"never\"", 1: "yes,\r\nsure"}
def writers(f):
    return [csv.writer(f, delimiter=";", lineterminator="\r\n", quoting=q) for q in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL)]
with open("user_x.csv", "w", newline="") as f:
    w = writers(f)
    w[0].writerow(["a; first", "b \"2nd\"", "c", "d"])
    for i, row in enumerate(x):
        w[i % 2].writerow(["%.9g" % v for v in row])
with open("user_y.csv", "w", newline="") as f:
    w = writers(f)
    w[0].writerow(["label"])
    for i, v in enumerate(y):
        w[i % 2].writerow([names[int(v)]])
order = list(dict.fromkeys(int(v) for v in y))
np.save("ymap.npy", np.array([order.index(int(v)) for v in y], dtype=np.int32))
json.dump([names[c] for c in order], open("labels.json", "w"))'
}

@test "CSV as users have it (';', CRLF, quotes, class names) trains like the same numbers in .npy; proof-check accepts" {
  user_csv
  write_key vkey "$SEED3"
  grep -q $'\r\n' user_x.csv && grep -q '"' user_x.csv || fail "user_x.csv has no CRLF or quotes"
  file_job '{"format":"csv","x":{"path":"user_x.csv"},"y":{"path":"user_y.csv"}}' | job-split --delimiter ';' >csv.jsonl
  assert_equal "$(jq -r .train.data.delimiter csv.jsonl)" ';'
  run -0 --separate-stderr job-run --store S --key key1 csv.jsonl
  echo "$output" >result.jsonl
  # The names in class order, as the result says which output is which.
  assert_jq '.train.labels | tostring' "$(jq -c . labels.json)"
  assert_jq .header.inputs.data.y "$(sha_of user_y.csv)"
  csv_state=$(jq -r .train.final.state_sha256 <<<"$output")
  # Bit for bit the training of the same numbers and classes in .npy.
  file_job '{"format":"npy","x":{"path":"x.npy"},"y":{"path":"ymap.npy"}}' | job-split >npy.jsonl
  run -0 --separate-stderr job-run --store S npy.jsonl
  assert_jq .train.final.state_sha256 "$csv_state"
  assert_jq .train.labels null
  # The verifier reads the files as job-run did: every segment re-run.
  run -0 --separate-stderr proof-check --key vkey --store S --tasks csv.jsonl --mode sig,trace,spot --samples 99 result.jsonl
  assert_jq .status accept
  assert_jq '.checked.spot.segments | length' 4
  # Names that are not the data's are a wrong result.
  jq -c '.train.labels |= reverse' result.jsonl | grid-key sign --key key1 >swapped.jsonl
  run -1 --separate-stderr proof-check --key vkey --store S --tasks csv.jsonl --mode spot swapped.jsonl
  assert_jq .status reject
  assert_jq .reason "spot: labels $(jq -c 'reverse' labels.json) are not the class names of the task's data, $(jq -c . labels.json)"
  # Inference reads x as training did: the same predictions as from .npy,
  # in shards, and proof-check re-predicts them from the CSV file.
  model=$(jq -r .train.final.model_sha256 result.jsonl)
  infer() {
    jq -nc --arg m "$model" --argjson d "$1" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m},data:$d,batch:16}}' |
      job-split --tasks 2 "${@:2}"
  }
  infer '{"format":"csv","x":{"path":"user_x.csv"},"rows":64}' --delimiter ';' >infer.jsonl
  job-run --store S --key key1 infer.jsonl >predicted.jsonl
  run -0 --separate-stderr job-run --store S < <(infer '{"format":"npy","x":{"path":"x.npy"},"rows":64}')
  assert_equal "$(jq -c .infer.trace.leaves predicted.jsonl)" "$(jq -c .infer.trace.leaves <<<"$output")"
  run -0 --separate-stderr proof-check --key vkey --store S --tasks infer.jsonl --mode spot --samples 99 predicted.jsonl
  assert_jq_all '[.[].status] | tostring' '["accept","accept"]'
  # Split at commas the same files are 65, naming the file, line and column.
  file_job '{"format":"csv","x":{"path":"user_x.csv"},"y":{"path":"user_y.csv"}}' | job-split >commas.jsonl
  run -65 --separate-stderr job-run --store S commas.jsonl
  stderr_has "user_x.csv line 1, column 1: text after the closing quote"
}

@test "class names in CSV: a header only when y has one line more than x has rows; more names than outputs is 65" {
  printf '1,2\n3,4\n5,6\n' >x.csv
  printf 'b\na\nb\n' >y.csv
  job() { jq -nc --argjson o "$1" '{kind:"job",v:1,type:"train",train:{model:{layers:[2,4,$o]},loss:"softmax_xent",
    optimizer:{name:"sgd",lr:0.1},batch:2,steps:2,seed:1,checkpoint_every:1,
    data:{format:"csv",x:{path:"x.csv"},y:{path:"y.csv"}}}}' | job-split; }
  # The files change under one name: --force runs each time.
  run -0 --separate-stderr job-run --store S --force <<<"$(job 2)"
  assert_jq '.train.labels | tostring' '["b","a"]'
  printf 'species\nb\na\nb\n' >y.csv
  run -0 --separate-stderr job-run --store S --force <<<"$(job 2)"
  assert_jq '.train.labels | tostring' '["b","a"]'
  printf 'b\na\n' >y.csv
  run -65 --separate-stderr job-run --store S --force <<<"$(job 2)"
  stderr_has "y.csv has 2 lines of class names, not 3 (one a row of x) or 4 (a header line and one a row)"
  stderr_has "field .train.data.y"
  printf 'b\na\nc\n' >y.csv
  run -65 --separate-stderr job-run --store S --force <<<"$(job 2)"
  stderr_has "y names 3 classes, the model has 2 outputs (input line 1, field .train.data.y)"
  # Numbers stay numbers, whatever the header says.
  printf 'label\n1\n0\n1\n' >y.csv
  run -0 --separate-stderr job-run --store S --force <<<"$(job 2)"
  assert_jq .train.labels null
}

@test "a data file that does not read as numbers is 65 naming its field as well as its line and column" {
  printf '1,2\n3,x\n' >x.csv
  printf '0.5\n1,5\n' >y.csv
  printf 'not a numpy file' >x.npy
  train() { jq -nc --argjson d "$1" '{kind:"job",v:1,type:"train",train:{model:{layers:[2,4,1]},loss:"mse",
    optimizer:{name:"sgd",lr:0.1},batch:2,steps:1,seed:1,checkpoint_every:1,data:$d}}' | job-split; }
  run -65 --separate-stderr job-run --store S <<<"$(train '{"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}')"
  assert_equal "$stderr" "job-run: error: x.csv line 2, column 2: 'x' is not a number (input line 1, field .train.data.x)"
  printf '1,2\n3,4\n' >x.csv
  run -65 --separate-stderr job-run --store S <<<"$(train '{"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}')"
  stderr_has "(input line 1, field .train.data.y)"
  run -65 --separate-stderr job-run --store S <<<"$(train '{"format":"npy","x":{"path":"x.npy"},"y":{"path":"y.csv"}}')"
  stderr_has "(input line 1, field .train.data.x)"
}

# ---- inputs by URL over HTTP ------------------------------------------

# serve DIR FLAGS...: tests/flaky_http.py serving DIR on loopback with its
# FLAGS (drops, failures), requests logged to requests.log; sets PORT and
# SERVER (its pid), which teardown stops.
serve() {
  /usr/bin/python3 "$ROOT/tests/flaky_http.py" --root "$1" --log requests.log "${@:2}" >server.out 2>server.err 3>&- &
  SERVER=$!
  local i
  for i in $(seq 100); do
    [[ -s server.out ]] && break
    sleep 0.05
  done
  PORT=$(awk '$1 == "port" {print $2}' server.out)
  [[ -n $PORT ]] || fail "flaky_http.py did not start: $(cat server.err)"
}

teardown() {
  if [[ -n ${SERVER:-} ]]; then
    kill "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
  fi
  return 0
}

# url_infer_job MODEL-JSON X-JSON [FLAGS...]: the tasks of an infer job
# over 300 rows of 8 features, split with job-split FLAGS.
url_infer_job() {
  jq -nc --argjson m "$1" --argjson x "$2" '{kind:"job",v:1,type:"infer",infer:{model:$m,
    data:{format:"npy",x:$x,rows:300},batch:50}}' | job-split "${@:3}"
}

# make_www: the model of small.jsonl (trained into store S) and x.npy,
# 300 x 8 float32 (seed 7), under www/; sets MODEL and X (their sha256).
make_www() {
  mkdir -p www
  job-run --store S small.jsonl >train.jsonl
  MODEL=$(jq -r .train.final.model_sha256 train.jsonl)
  cp "$(object S "$MODEL")" www/model.bin
  "$NUMPY" -c 'import numpy as np; np.save("www/x.npy", np.random.default_rng(7).standard_normal((300, 8)).astype(np.float32))'
  X=$(sha_of www/x.npy)
}

@test "URL inputs: a server that drops the connection mid-file gives the local file's bits, then the store does" {
  make_www
  # The same inputs from the store and a local path named without a sha256.
  run -0 --separate-stderr job-run --store S <<<"$(url_infer_job "{\"sha256\":\"$MODEL\"}" '{"path":"www/x.npy"}')"
  want=$(jq -c '[.infer.predictions_sha256, .infer.trace.root]' <<<"$output")
  assert_jq .header.inputs.data.x "$X"
  # Every response cut after 1000 bytes, three times: resumed with ranges.
  serve www --drops 3 --drop-after 1000
  url_infer_job "{\"sha256\":\"$MODEL\",\"url\":\"http://127.0.0.1:$PORT/model.bin\"}" \
    "{\"url\":\"http://127.0.0.1:$PORT/x.npy\",\"sha256\":\"$X\"}" >net.jsonl
  run -0 --separate-stderr job-run --store Net net.jsonl
  assert_equal "$(jq -c '[.infer.predictions_sha256, .infer.trace.root]' <<<"$output")" "$want"
  assert_jq .header.inputs.data.x "$X"
  grep -q '^GET /model.bin bytes=1000- 206$' requests.log || fail "no resumed request: $(cat requests.log)"
  grep -q '^GET /x.npy bytes=' requests.log || fail "x.npy was not resumed: $(cat requests.log)"
  assert_equal "$(sha_of "$(object Net "$X")")" "$X"
  assert_equal "$(sha_of "$(object Net "$MODEL")")" "$MODEL"
  assert_equal "$(find Net/tmp -type f | wc -l)" 0
  # With the server gone, a rerun (another shard, or after kill -9) finds
  # both inputs in the store.
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
  run -0 --separate-stderr job-run --store Net --force net.jsonl
  assert_equal "$(jq -c '[.infer.predictions_sha256, .infer.trace.root]' <<<"$output")" "$want"
}

@test "URL inputs: shards run at once into one store download each input once" {
  make_www
  run -0 --separate-stderr job-run --store S <<<"$(url_infer_job "{\"sha256\":\"$MODEL\"}" '{"path":"www/x.npy"}')"
  want=$(jq -r .infer.predictions_sha256 <<<"$output")
  # Two cuts and their backoff keep the first download going while the
  # other shards start: they wait for it, then read the store.
  serve www --drops 2 --drop-after 1000
  url_infer_job "{\"sha256\":\"$MODEL\",\"url\":\"http://127.0.0.1:$PORT/model.bin\"}" \
    "{\"url\":\"http://127.0.0.1:$PORT/x.npy\",\"sha256\":\"$X\"}" --shard-rows 50 >shards.jsonl
  assert_equal "$(wc -l <shards.jsonl)" 6
  run -0 --separate-stderr parallel -j6 job-run --store Net --task-index {} shards.jsonl ::: 0 1 2 3 4 5
  assert_equal "$(grep -c '^GET /model.bin -' requests.log)" 1
  assert_equal "$(grep -c '^GET /x.npy -' requests.log)" 1
  assert_equal "$(find Net/tmp -type f | wc -l)" 0
  # The shards' predictions are the whole's, row for row.
  run -0 "$NUMPY" -c '
import sys
import numpy as np
whole = np.load(sys.argv[1])
parts = np.concatenate([np.load(f) for f in sys.argv[2:]])
assert parts.tobytes() == whole.tobytes()' "$(object S "$want")" \
    $(job-run --store Net shards.jsonl 2>/dev/null | jq -r .infer.predictions_sha256 | while read -r r; do object Net "$r"; done)
}

@test "URL inputs: a download cut short in an earlier run resumes from its .part in the store" {
  make_www
  run -0 --separate-stderr job-run --store S <<<"$(url_infer_job "{\"sha256\":\"$MODEL\"}" '{"path":"www/x.npy"}')"
  want=$(jq -r .infer.trace.root <<<"$output")
  # What a killed run leaves (store.h: tmp/fetch-<hex>.part), from store S
  # that holds the model.
  cp -r S Part
  chmod -R u+w Part
  mkdir -p Part/tmp
  head -c 4000 www/x.npy >"Part/tmp/fetch-${X#sha256:}.part"
  serve www
  run -0 --separate-stderr job-run --store Part <<<"$(url_infer_job "{\"sha256\":\"$MODEL\"}" \
    "{\"url\":\"http://127.0.0.1:$PORT/x.npy\",\"sha256\":\"$X\"}")"
  assert_jq .infer.trace.root "$want"
  assert_equal "$(cat requests.log)" "GET /x.npy bytes=4000- 206"
  assert_equal "$(find Part/tmp -type f | wc -l)" 0
}

@test "URL inputs: a wrong sha256 is 65 naming the field and keeps nothing; an unreachable server is 75" {
  make_www
  serve www
  printf 'other bytes' >other.bin
  y=$(sha_of other.bin)
  model="{\"sha256\":\"$MODEL\",\"url\":\"http://127.0.0.1:$PORT/model.bin\"}"
  run -65 --separate-stderr job-run --store Net <<<"$(url_infer_job "$model" \
    "{\"url\":\"http://127.0.0.1:$PORT/x.npy\",\"sha256\":\"$y\"}")"
  assert_output ''
  stderr_has "http://127.0.0.1:$PORT/x.npy has SHA-256 $X, not the expected $y"
  stderr_has "field .infer.data.x.sha256"
  # The model came and stays; of x nothing, under either hash.
  assert_equal "$(find Net -type f)" "$(object Net "$MODEL")"
  # Nothing listens on the port once the server is gone: connection
  # refused, retried --retries times with backoff (0.5 s, then 1 s, with
  # jitter), then 75. The default 4 is --publish's test's.
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
  for retries in 0 2; do
    run -75 --separate-stderr job-run --store Net --retries $retries <<<"$(url_infer_job "$model" \
      "{\"url\":\"http://127.0.0.1:$PORT/x.npy\",\"sha256\":\"$X\"}")"
    assert_output ''
    stderr_has "http://127.0.0.1:$PORT/x.npy"
    stderr_has "gave up after $((retries + 1)) attempt"
    assert_not_exist "$(object Net "$X")"
  done
}

# ---- store location ----------------------------------------------------

@test "the store defaults to XDG_DATA_HOME, else HOME" {
  mkdir -p xdg home
  XDG_DATA_HOME=$PWD/xdg HOME=$PWD/home run -0 --separate-stderr job-run --task-index 0 gemm4.jsonl
  assert_dir_exist xdg/gridutils/store/refs
  assert_file_exist "$(object xdg/gridutils/store "$(jq -r .gemm.c_sha256 <<<"$output")")"
  assert_not_exist home/.local
  # A relative XDG_DATA_HOME is ignored, as the XDG spec says.
  XDG_DATA_HOME=relative HOME=$PWD/home run -0 --separate-stderr job-run --task-index 1 gemm4.jsonl
  assert_dir_exist home/.local/share/gridutils/store/refs
  assert_not_exist relative
  env -u XDG_DATA_HOME HOME="$PWD/home" job-run --task-index 2 gemm4.jsonl >/dev/null
  assert_equal "$(find home/.local/share/gridutils/store/refs -type f | wc -l)" 2
  # --store wins.
  XDG_DATA_HOME=$PWD/xdg run -0 --separate-stderr job-run --store S --task-index 3 gemm4.jsonl
  assert_dir_exist S/refs
  assert_equal "$(find xdg/gridutils/store/refs -type f | wc -l)" 1
}

@test "a closed stdout ends job-run quietly with 0 (EPIPE)" {
  job-split --tasks 512 "$EX/gemm.json" | jq -c '.gemm.n = 8 | .gemm.k = 8' | grid-key id >many.jsonl
  run -0 --separate-stderr bash -c '
    job-run --store S many.jsonl 2>err | head -c 10 >/dev/null
    echo "status ${PIPESTATUS[0]}"'
  assert_line "status 0"
  assert_equal "$(cat err)" ''
}

# ---- completion --------------------------------------------------------

@test "bash completion offers modes, devices, task indexes, flags and files" {
  complete_words() { bash_complete job-run "$@"; }
  run -0 complete_words job-run --mode ''
  assert_output "$(printf '%s\n' exact fast)"
  run -0 complete_words job-run --device ''
  assert_line auto
  assert_line cpu
  assert_line cuda:0
  run -0 complete_words job-run --task-index e
  assert_output env
  run -0 complete_words job-run --res
  assert_output --resume
  mkdir -p stores/a
  run -0 complete_words job-run --store stor
  assert_output stores
  run -0 complete_words job-run gemm
  assert_output gemm4.jsonl
}

# ---- --publish ---------------------------------------------------------

# named_in_store STORE < RESULT: every "sha256:<hex>" string in the result
# that is an object in STORE, once each, sorted.
named_in_store() {
  local ref
  jq -r '.. | strings | select(test("^sha256:[0-9a-f]{64}$"))' | sort -u | while read -r ref; do
    if [[ -f $(object "$1" "$ref") ]]; then echo "$ref"; fi
  done
}

# published DIR: the objects under DIR/sha256, as sorted "sha256:<hex>".
published() {
  find "$1/sha256" -type f | sed -E 's|.*/sha256/([0-9a-f]{2})/([0-9a-f]{62})$|sha256:\1\2|' | sort
}

@test "--publish file://: a verifier with an empty store checks the result from what was published" {
  run -0 --separate-stderr job-run --store S --key key1 --publish "file://$PWD/pub" small.jsonl
  assert_equal "${#lines[@]}" 1
  printf '%s\n' "$output" >result.jsonl
  # The result file is the stdout line, named by the task id's hex.
  task=$(jq -r .id small.jsonl)
  assert_equal "$(cat "pub/results/${task#sha256:}.json")" "$(cat result.jsonl)"
  assert_equal "$(find pub/results -type f | wc -l)" 1
  mkdir empty
  run -0 --separate-stderr proof-check --key key2 --store empty --store-url "file://$PWD/pub" --tasks small.jsonl \
    --mode sig,trace,spot result.jsonl
  assert_jq .status accept
  assert_jq '.checked.spot.segments | length' 4
  # All of it came from the URL: the verifier's store is still empty.
  assert_equal "$(find empty -type f | wc -l)" 0
  # Without the published objects, the same check cannot conclude.
  run -3 --separate-stderr proof-check --key key2 --store empty --tasks small.jsonl --mode sig,trace,spot result.jsonl
  assert_jq .status inconclusive
}

@test "--publish puts exactly the store objects the result names, with their bytes; a cached result too" {
  job-run --store S --publish "file://$PWD/pub" small.jsonl >result.jsonl
  named_in_store S <result.jsonl >named
  # 5 checkpoints (steps 0, 10, 20, 30, 40; the last is the final state)
  # and the model; the spec and data hashes are not objects.
  assert_equal "$(wc -l <named)" 6
  assert_equal "$(published pub)" "$(cat named)"
  run -1 grep -qF "$(jq -r .header.inputs.spec result.jsonl)" named
  for ref in $(cat named); do
    assert_equal "$(sha_of "$(object pub "$ref")")" "$ref"
  done
  # A result taken from the store is published the same way.
  run -0 --separate-stderr job-run --store S --publish "file://$PWD/pub2/" small.jsonl
  stderr_has "result already in the store"
  assert_equal "$output" "$(cat result.jsonl)"
  assert_equal "$(published pub2)" "$(cat named)"
  assert_equal "$(cat pub2/results/*.json)" "$(cat result.jsonl)"
}

@test "--publish: a gemm result publishes its C" {
  run -0 --separate-stderr job-run --store S --task-index 2 --publish "file://$PWD/pub" gemm4.jsonl
  c=$(jq -r .gemm.c_sha256 <<<"$output")
  assert_equal "$(published pub)" "$c"
  assert_equal "$(sha_of "$(object pub "$c")")" "$c"
  assert_equal "$(stat -c %s "$(object pub "$c")")" $((16 * 48 * 4))
}

@test "--publish: a URL of another scheme is 64 before any work; an unwritable file:// target is 74, no result" {
  for url in ftp://example.org/pub pub "file:/no-slashes"; do
    run -64 --separate-stderr job-run --store S --publish "$url" gemm4.jsonl
    assert_output ''
    stderr_matches "^job-run: error: --publish .*: not an http://, https://, s3:// or file:// URL$"
  done
  # s3:// without the AWS credentials in the environment.
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY job-run --store S --publish s3://bucket/x gemm4.jsonl >out 2>err &&
    fail "s3:// without credentials accepted"
  assert_equal "$(cat out)" ""
  grep -q "s3:// URLs need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" err || fail "$(cat err)"
  assert_not_exist S
  assert_not_exist pub
  # lease-bid shares the check.
  run -64 --separate-stderr lease-bid order --key key1 --max-price 1 --deadline 2h --publish ftp://x/o gemm4.jsonl
  assert_output ''
  stderr_has "lease-bid: error: --publish ftp://x/o: not an http://, https://, s3:// or file:// URL"
  # A file where a folder should be: the objects cannot be written.
  touch afile
  run -74 --separate-stderr job-run --store S --task-index 0 --publish "file://$PWD/afile/pub" gemm4.jsonl
  assert_output ''
  stderr_has "job-run: error: cannot use $PWD/afile as a folder: it is a file"
  # The result was kept in the store; a later run publishes it.
  run -0 --separate-stderr job-run --store S --task-index 0 --publish "file://$PWD/pub" gemm4.jsonl
  stderr_has "result already in the store"
  assert_equal "$(published pub)" "$(jq -r .gemm.c_sha256 <<<"$output")"
}

@test "--publish over HTTP: PUT to the server, retried through 503s; retries run out: 75, no result" {
  mkdir www
  serve www --fail 2
  run -0 --separate-stderr job-run --store S --key key1 --publish "http://127.0.0.1:$PORT/pub" small.jsonl
  printf '%s\n' "$output" >result.jsonl
  named_in_store S <result.jsonl >named
  assert_equal "$(published www/pub)" "$(cat named)"
  assert_equal "$(cat www/pub/results/*.json)" "$(cat result.jsonl)"
  # 2 refused, then one PUT per object and one for the result.
  assert_equal "$(grep -c '^PUT .* 503$' requests.log)" 2
  assert_equal "$(grep -c '^PUT /pub/.* 201$' requests.log)" $(($(wc -l <named) + 1))
  mkdir empty
  run -0 --separate-stderr proof-check --key key2 --store empty --store-url "http://127.0.0.1:$PORT/pub" \
    --tasks small.jsonl --mode sig,trace,spot result.jsonl
  assert_jq .status accept
  kill "$SERVER"
  wait "$SERVER" || true
  rm server.out  # serve waits for the new server's port line
  serve www --fail 1000
  run -75 --separate-stderr job-run --store S2 --task-index 0 --publish "http://127.0.0.1:$PORT/pub" gemm4.jsonl
  assert_output ''
  stderr_matches "^job-run: error: cannot publish to http://127.0.0.1:$PORT/pub/sha256/.*: HTTP 503.*gave up after 5 attempts"
}

@test "--publish is in --help and bash completion offers URL schemes" {
  run -0 --separate-stderr job-run --help
  assert_output --partial --publish
  run -0 bash_complete job-run job-run --publish ''
  assert_output "$(printf '%s\n' http:// https:// s3:// file://)"
}
