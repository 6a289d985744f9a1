#!/usr/bin/env bats
# proof-check: results made by the real job-split and job-run (and challenge
# answers by gpu-bench), checked by the real binary; forged results made
# with jq and Python, re-signed with grid-key sign, must be rejected with a
# reason that names what is wrong.

bats_require_minimum_version 1.5.0
load test_helper

# The verifier's key.
SEEDV=0101010101010101010101010101010101010101010101010101010101010101

# The shared inputs, made once: a 40-step training task (4 segments of 10
# steps) and a 64 x 48 x 32 GEMM cut in two, run by provider 1 into store S.
setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  unset GRID_KEY
  (umask 077 && printf '%s\n' "$SEED1" >key1)
  jq -c '.train.steps = 40 | .train.checkpoint_every = 10' "$ROOT/examples/jobs/train.json" | job-split >train-tasks.jsonl
  job-run --store S --key key1 train-tasks.jsonl >train.jsonl
  jq -c '.gemm.m = 64 | .gemm.n = 48 | .gemm.k = 32' "$ROOT/examples/jobs/gemm.json" | job-split --tasks 2 >gemm-tasks.jsonl
  job-run --store S --key key1 gemm-tasks.jsonl >gemm.jsonl
}

setup() {
  common_setup
  F=$BATS_FILE_TMPDIR
  cp -r "$F/S" S
  cp "$F"/train-tasks.jsonl "$F"/train.jsonl "$F"/gemm-tasks.jsonl "$F"/gemm.jsonl .
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  write_key key3 "$SEED3"
  write_key vkey "$SEEDV"
  VPUB=$(grid-key pub --key vkey)
}

# PY_MERKLE: the forgeries' Python prelude, with the RFC 6962 reference
# (tests/merkle_reference.py).
PY_MERKLE='
import hashlib, json, sys
from merkle_reference import sha, mth, leaf
def dump(r): print(json.dumps(r, separators=(",", ":")))
'

# reroot: a train result with its root recomputed from its (edited) leaves
# and its final state the last leaf: a forgery consistent in itself.
reroot() {
  python3 -c "$PY_MERKLE"'
for line in sys.stdin:
    r = json.loads(line)
    t = r["train"]["trace"]
    t["root"] = "sha256:" + mth([leaf(x) for x in t["leaves"]]).hex()
    r["train"]["final"]["state_sha256"] = "sha256:" + t["leaves"][-1]
    dump(r)'
}

# random_c STORE N: a gemm result whose C is random numbers of the right
# shape, stored, with c_sha256, row_leaves and row_root made to match.
random_c() {
  python3 -c "$PY_MERKLE"'
import os, random, struct
store, n = sys.argv[1], int(sys.argv[2])
r = json.loads(sys.stdin.readline())
g = r["gemm"]
rng = random.Random(7)
rows = [b"".join(struct.pack("<f", rng.uniform(-8, 8)) for _ in range(n)) for _ in range(g["row_end"] - g["row_begin"])]
c = b"".join(rows)
h = sha(c).hex()
os.makedirs(f"{store}/sha256/{h[:2]}", exist_ok=True)
open(f"{store}/sha256/{h[:2]}/{h[2:]}", "wb").write(c)
leaves = [sha(b"\x00" + row) for row in rows]
g["c_sha256"] = "sha256:" + h
g["row_leaves"] = [x.hex() for x in leaves]
g["row_root"] = "sha256:" + mth(leaves).hex()
if "seal" in r:  # job-run seals its output for its signer; so does a consistent forger
    r["seal"] = "sha256:" + sha(("gridutils seal v1\n%s\n%s\n%s" % (r["sig"]["by"], r["task"], g["c_sha256"])).encode()).hex()
dump(r)' "$@"
}

# ---- flags -------------------------------------------------------------

@test "--version prints the gridutils version; --help lists every flag" {
  run -0 --separate-stderr proof-check --version
  assert_output --regexp '^gridutils [0-9]+\.[0-9]+\.[0-9]+$'
  run -0 --separate-stderr proof-check --help
  for flag in --mode --tasks --leases --seals --profile --challenges --store --store-url --samples --detect \
    --cheat-fraction --budget --k --slow-factor --device --retries --threads --now --pass --format --key --keep-going -q,--quiet; do
    assert_output --partial -- "$flag"
  done
}

@test "bad flags are usage errors (64) and write nothing" {
  for args in "--no-such-flag" "--mode turbo" "--mode sig,nope" "--samples 3 --detect 0.9" \
    "--detect 1" "--detect 0" "--budget 0" "--detect x" "--cheat-fraction 0" "--cheat-fraction 1.5" "--budget 2" "--budget -1" \
    "--k 0" "--slow-factor 0" "--threads -1" "--samples -2" "--device gpu" "--format xml" "--format" \
    "--samples 0" "--store-url ftp://host/store" "--store-url not-a-url" "--now someday" \
    "--retries -1" "--retries 1001" "--retries some"; do
    run -64 --separate-stderr check $args train.jsonl
    assert_output ''
    stderr_matches '^proof-check: error: '
  done
  # The verifier's own typo in --store-url is never a provider's corrupt
  # checkpoint; --samples 0 says the range.
  run -64 --separate-stderr check --store-url ftp://host/store train.jsonl
  stderr_has "--store-url ftp://host/store: not an http://, https://, s3:// or file:// URL"
  run -64 --separate-stderr check --samples 0 train.jsonl
  stderr_has "--samples: Value 0 not in range 1 to"
  run -64 --separate-stderr check --store '' train.jsonl
  stderr_has "--store: an empty value is no folder"
  # A --store that is not there is a typo, not a provider withholding.
  run -66 --separate-stderr proof-check --key vkey --store no-such-store --tasks train-tasks.jsonl train.jsonl
  assert_output ''
  stderr_has "--store no-such-store: no such folder"
}

@test "a key is required (64): verdicts are signed and the draw is the verifier's signature" {
  run -64 --separate-stderr proof-check --store S train.jsonl
  assert_output ''
  stderr_has --key
  stderr_has GRID_KEY
  GRID_KEY=vkey run -0 --separate-stderr proof-check --store S --tasks train-tasks.jsonl train.jsonl
  assert_jq .sig.by "$VPUB"
  GRID_KEY=no-such-key run -66 --separate-stderr proof-check --store S train.jsonl
  chmod 644 vkey
  run -65 --separate-stderr check train.jsonl
}

# ---- honest results ----------------------------------------------------

@test "an honest training result is accepted: signed verdict, every segment re-run, exit 0" {
  run -0 --separate-stderr check --tasks train-tasks.jsonl train.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq '[.kind, .v, .status, .type] | tostring' '["verdict",1,"accept","train"]'
  assert_jq .result "$(jq -r .id train.jsonl)"
  assert_jq .task "$(jq -r .id train-tasks.jsonl)"
  assert_jq .provider "$PUB1"
  assert_jq '.modes | tostring' '["sig","trace","spot"]'
  assert_jq 'has("reason")' false
  assert_jq '.checked.trace | [.leaves, .checkpoints, .checkpoints_verified, .checkpoints_missing] | tostring' '[41,5,5,0]'
  # One faked segment in 4 is only caught for sure by re-running all 4.
  assert_jq '.checked.spot | [.segments, .of, .steps, .share] | tostring' '[[0,1,2,3],4,40,1]'
  assert_jq .detection_probability 1
  assert_jq '.verifier_seconds > 0' true
  assert_jq .sig.by "$VPUB"
  grid-key verify --by "$VPUB" <<<"$output" >/dev/null
}

@test "honest results of several seeds and optimizers are accepted" {
  for cfg in '3 sgd' '4 momentum' '5 adam'; do
    set -- $cfg
    jq -c --argjson s "$1" --arg o "$2" '.train.seed = $s | .train.optimizer.name = $o | .train.steps = 24 |
      .train.checkpoint_every = 8 | .train.data.synthetic.seed = $s' "$ROOT/examples/jobs/train.json" |
      job-split >t.jsonl
    job-run --store S --key key2 t.jsonl >r.jsonl
    run -0 --separate-stderr check --tasks t.jsonl --samples 2 r.jsonl
    assert_jq .status accept
    assert_jq .provider "$PUB2"
    assert_jq '.checked.spot.segments | length' 2
  done
}

@test "anyone can audit the draw: seed = SHA-256 of the signature, segments per the documented stream" {
  run -0 --separate-stderr check --tasks train-tasks.jsonl --samples 2 train.jsonl
  sig=$(jq -r .draw.sig <<<"$output")
  seed=$(jq -r .draw.seed <<<"$output")
  assert_equal "$seed" "$(printf '%s' "$sig" | xxd -r -p | sha256sum | cut -d' ' -f1)"
  want=$(python3 -c '
import hashlib, sys
seed, n, q = bytes.fromhex(sys.argv[1]), 4, 2
counter = 0
def word():
    global counter
    h = hashlib.sha256(seed + b"spot" + b"\x00" + counter.to_bytes(8, "little")).digest()
    counter += 1
    return int.from_bytes(h[:8], "little")
def below(m):
    excess = (2**64) % m
    while True:
        w = word()
        if w < 2**64 - excess: return w % m
pos = list(range(n))
for i in range(q):
    j = i + below(n - i)
    pos[i], pos[j] = pos[j], pos[i]
print(sorted(pos[:q]))' "$seed" | tr -d ' ')
  assert_jq '.checked.spot.segments | tostring' "$want"
  # The same verifier draws the same segments; another verifier others (or the same by chance).
  again=$(check --tasks train-tasks.jsonl --samples 2 train.jsonl | jq -c .checked.spot.segments)
  assert_equal "$again" "$want"
}

@test "--samples, --detect, --cheat-fraction and --budget set how much is re-run" {
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode spot --samples 2 train.jsonl
  assert_jq '.checked.spot | [(.segments | length), .steps, .share] | tostring' '[2,20,0.5]'
  # One faked segment of 4 (a fraction 0.1 rounds up to one): 2 draws catch it half the time.
  assert_jq .detection_probability 0.5
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode spot --budget 0.25 train.jsonl
  assert_jq '.checked.spot.segments | length' 1
  assert_jq .detection_probability 0.25
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode spot --detect 0.7 train.jsonl
  assert_jq '.checked.spot.segments | length' 3
  # Half the segments faked: one draw of 4 catches it with 1/2, two with 5/6.
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode spot --detect 0.8 --cheat-fraction 0.5 train.jsonl
  assert_jq '.checked.spot.segments | length' 2
  assert_jq '.detection_probability * 1e6 | round' 833333
  # --samples past the segments re-runs them all once.
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode spot --samples 99 train.jsonl
  assert_jq '.checked.spot.segments | tostring' '[0,1,2,3]'
}

# ---- forged training results -------------------------------------------

@test "a tampered leaf without a new root: trace rejects, exit 1" {
  jq -c '.train.trace.leaves[17] = ("ab" * 32)' train.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl forged.jsonl
  assert_reason '^trace: the root sha256:[0-9a-f]{64} is not the root of the leaves'
  assert_jq .provider "$PUB1"
  grid-key verify --by "$VPUB" <<<"$output" >/dev/null
}

@test "a tampered leaf with its root forged to match: spot re-runs the segment and names the step" {
  jq -c '.train.trace.leaves[17] = ("ab" * 32)' train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl forged.jsonl
  assert_reason '^spot: segment 1 \(steps 10\.\.20\): the state after step 17 differs from leaf 17$'
  assert_jq .checked.trace.leaves 41
}

@test "a forged root is rejected by trace" {
  jq -c '.train.trace.root = "sha256:" + ("cd" * 32)' train.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,trace forged.jsonl
  assert_reason '^trace: the root sha256:cdcd.* is not the root of the leaves \(sha256:[0-9a-f]{64}\)$'
}

@test "a result changed after signing fails sig; an unsigned one too" {
  jq -c '.train.final.loss = 0' train.jsonl >tampered.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl tampered.jsonl
  assert_reason '^sig: id does not match the content'
  assert_jq .provider null
  jq -c 'del(.sig)' train.jsonl | grid-key id >unsigned.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl unsigned.jsonl
  assert_reason '^sig: unsigned'
}

@test "losses: one per checkpoint step after step 0, or trace rejects naming the step" {
  assert_equal "$(jq -c '[.train.losses[].step]' train.jsonl)" '[10,20,30,40]'
  losses() {
    jq -c "del(.id,.sig) | .train.losses |= ($1)" train.jsonl | grid-key sign --key key1 >forged.jsonl
    run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,trace,spot forged.jsonl
    assert_reason "^trace: losses: $2\$"
  }
  losses 'del(.[1])' 'no loss for checkpoint step 20'
  losses '. + [{step: 15, loss: 0.5}]' 'step 15 is not a checkpoint step \(step 0 excluded\)'
  losses '[{step: 0, loss: 0.5}] + .' 'step 0 is not a checkpoint step \(step 0 excluded\)'
  losses '. + [.[2]]' 'step 30 is reported twice'
  losses '.[:-1] + [{step: 50, loss: 0.5}]' 'step 50 is not a checkpoint step \(step 0 excluded\)'
  jq -c 'del(.id,.sig) | del(.train.losses)' train.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,trace forged.jsonl
  assert_reason '^trace: losses: missing; want one per checkpoint step after step 0$'
}

@test "final.loss and final.model_sha256 are those of the final state when spot re-executes it" {
  jq -c 'del(.id,.sig) | .train.final.loss = 0.125' train.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --samples 4 forged.jsonl
  assert_reason '^spot: final\.loss is reported as 0\.125, the final state.s loss is [0-9.e-]+$'
  jq -c 'del(.id,.sig) | .train.final.model_sha256 = .train.final.state_sha256' train.jsonl |
    grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --samples 4 forged.jsonl
  assert_reason '^spot: final\.model_sha256 is not the model of the final state \(sha256:[0-9a-f]{64}\)$'
  # A loss at a checkpoint step other than job-run's: spot re-runs the segment.
  jq -c 'del(.id,.sig) | .train.losses[1].loss = 0.25' train.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --samples 4 forged.jsonl
  assert_reason '^spot: segment 1 \(steps 10\.\.20\): the loss at step 20 is reported as 0\.25, re-execution gives '
  # Bit for bit: a number one double away from the float job-run wrote (it
  # rounds to the same float32) is not the loss.
  for at in '["losses"][1]' '["final"]'; do
    python3 -c "import json, math, sys
m = json.loads(sys.stdin.read()); del m['id'], m['sig']
p = m['train']$at; p['loss'] = math.nextafter(p['loss'], math.inf)
print(json.dumps(m, separators=(',', ':')))" <train.jsonl | grid-key sign --key key1 >forged.jsonl
    run -1 --separate-stderr check --tasks train-tasks.jsonl --samples 4 forged.jsonl
    assert_reason '^spot: (segment 1 \(steps 10\.\.20\): the loss at step 20|final\.loss) is reported as '
  done
  # The honest result: checked, and said so.
  run -0 --separate-stderr check --tasks train-tasks.jsonl --samples 4 train.jsonl
  assert_jq .checked.spot.final_model checked
  # One segment drawn: the final model is checked only when it is the last.
  run -0 --separate-stderr check --tasks train-tasks.jsonl --samples 1 train.jsonl
  assert_jq '.checked.spot | .final_model == (if .segments == [3] then "checked" else "unchecked: the last segment was not re-executed" end)' true
}

@test "skipped steps (a leaf copied forward) are rejected by trace and by spot" {
  jq -c '.train.trace.leaves[15] = .train.trace.leaves[14]' train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl forged.jsonl
  assert_reason '^trace: leaf 15 repeats leaf 14'
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,spot forged.jsonl
  assert_reason '^spot: segment 1 \(steps 10\.\.20\): the state after step 15 differs from leaf 15$'
}

@test "a whole segment made up (leaves and checkpoint) is caught where it starts or ends" {
  # Steps 21..30 never run: made-up leaves, the checkpoint at 30 naming a made-up state.
  python3 -c '
import json, sys, hashlib
r = json.loads(sys.stdin.readline())
t = r["train"]["trace"]
for i in range(21, 31):
    t["leaves"][i] = hashlib.sha256(b"made up %d" % i).hexdigest()
t["checkpoints"][3]["sha256"] = "sha256:" + t["leaves"][30]
print(json.dumps(r))' <train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  # trace alone cannot tell (the checkpoint at 30 is simply not stored);
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode sig,trace forged.jsonl
  assert_jq .status accept
  assert_jq .checked.trace.checkpoints_missing 1
  # re-running segment 2 (20..30) or 3 (30..40) catches it.
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,spot forged.jsonl
  assert_reason '^spot: segment 2 \(steps 20\.\.30\): the state after step 21 differs from leaf 21$'
}

@test "an altered byte in a stored checkpoint: trace and spot reject it" {
  ckpt=$(object S "$(jq -r '.train.trace.checkpoints[1].sha256' train.jsonl)")
  chmod u+w "$ckpt"
  printf '\x01' | dd of="$ckpt" bs=1 seek=100 conv=notrunc status=none
  run -1 --separate-stderr check --tasks train-tasks.jsonl train.jsonl
  assert_reason "^trace: the checkpoint at step 10: the stored object .* does not hash to its leaf"
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode spot train.jsonl
  assert_reason '^spot: segment 1 \(steps 10\.\.20\): the checkpoint at step 10 is corrupt: .*corrupt'
}

@test "a checkpoint list that does not match the leaves is rejected" {
  jq -c '.train.trace.checkpoints[2].sha256 = "sha256:" + .train.trace.leaves[21]' train.jsonl |
    grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl forged.jsonl
  assert_reason '^trace: the checkpoint at step 20 names sha256:[0-9a-f]+, but leaf 20 is '
  jq -c '.train.trace.leaves |= .[:-1]' train.jsonl | reroot | grid-key sign --key key1 >short.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl short.jsonl
  assert_reason '^trace: 40 leaves for 40 steps: want 41'
}

@test "fast-mode training: re-run segments are held against the claimed checkpoint by distance" {
  jq -c '.mode = "fast" | .train.steps = 30 | .train.checkpoint_every = 10' "$ROOT/examples/jobs/train.json" | job-split >fast-tasks.jsonl
  job-run --store S --key key1 fast-tasks.jsonl >fast.jsonl
  run -0 --separate-stderr check --tasks fast-tasks.jsonl fast.jsonl
  assert_jq .status accept
  assert_jq '.checked.spot | [.segments, .tolerance, .max_distance_over_update] | tostring' '[[0,1,2],0.05,0]'
  assert_jq .checked.spot.final_model checked
  # Other rounding (the exact kernels' states, claimed as fast): far inside the tolerance.
  job-run --store S --key key1 --mode exact fast-tasks.jsonl |
    jq -c '.header.mode = "fast" | .header.kernel = "grid-fast-1 (OpenBLAS, libm)"' | grid-key sign --key key1 >other.jsonl
  run -0 --separate-stderr check --tasks fast-tasks.jsonl other.jsonl
  assert_jq .status accept
  assert_jq '.checked.spot.max_distance_over_update | (. > 0 and . < 1e-4)' true
  # Trained with a learning rate 20% off, passed off as the task: rejected.
  tid=$(jq -r .id fast-tasks.jsonl)
  jq -c '.train.optimizer.lr = 0.012' fast-tasks.jsonl | grid-key id | job-run --store S --key key1 |
    jq -c --arg t "$tid" '.task = $t | .header.task = $t' | grid-key sign --key key1 >cheap.jsonl
  run -1 --separate-stderr check --tasks fast-tasks.jsonl cheap.jsonl
  assert_reason '^spot: segment 0 \(steps 0\.\.10\): re-execution ends [0-9.]+ from the checkpoint at step 10, more than 0\.05 x the segment.s update of [0-9.]+$'
  # The final checkpoint fetched: final.model_sha256 is its model, or rejected.
  jq -c 'del(.id,.sig) | .train.final.model_sha256 = .train.final.state_sha256' fast.jsonl | grid-key sign --key key1 >badmodel.jsonl
  run -1 --separate-stderr check --tasks fast-tasks.jsonl badmodel.jsonl
  assert_reason '^spot: final\.model_sha256 is not the model of the final state \(sha256:[0-9a-f]{64}\)$'
  # The losses it reports are re-executed too: 20% below what the segment gives is rejected.
  jq -c 'del(.id,.sig) | .train.losses[0].loss *= 0.8' fast.jsonl | grid-key sign --key key1 >lowloss.jsonl
  run -1 --separate-stderr check --tasks fast-tasks.jsonl lowloss.jsonl
  assert_reason '^spot: segment 0 \(steps 0\.\.10\): the loss at step 10 is reported as [0-9.e-]+, re-execution gives [0-9.e-]+, more than 0\.05 of it apart$'
  jq -c 'del(.id,.sig) | .train.final.loss *= 0.5' fast.jsonl | grid-key sign --key key1 >lowfinal.jsonl
  run -1 --separate-stderr check --tasks fast-tasks.jsonl lowfinal.jsonl
  assert_reason '^spot: final\.loss is reported as [0-9.e-]+, the final state.s loss is [0-9.e-]+, more than 0\.05 of it apart$'
  # Within rounding of it is not: 1e-7 relative off each reported loss still passes.
  jq -c 'del(.id,.sig) | .train.losses |= map(.loss *= (1 + 1e-7)) | .train.final.loss *= (1 - 1e-7)' fast.jsonl |
    grid-key sign --key key1 >near.jsonl
  run -0 --separate-stderr check --tasks fast-tasks.jsonl near.jsonl
  assert_jq .status accept
}

# ---- what is missing is inconclusive, not a reject ---------------------

@test "without the task, spot is inconclusive with the reason; exit 3, and stderr names the flag" {
  run -3 --separate-stderr check train.jsonl
  assert_jq .status inconclusive
  assert_jq .reason "spot: task $(jq -r .id train-tasks.jsonl) is not given (--tasks or --leases): spot re-executes it"
  assert_jq .checked.trace.leaves 41
  assert_jq .detection_probability null
  assert_equal "$stderr" "proof-check: 1 result(s) inconclusive for want of their task: give the task messages with --tasks FILE (or the leases with --leases FILE)"
  # Every re-executing mode says the same, once for all the results.
  run -3 --separate-stderr check --mode sig,trace,rows,freivalds gemm.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_equal "$stderr" "proof-check: 2 result(s) inconclusive for want of their task: give the task messages with --tasks FILE (or the leases with --leases FILE)"
  # Tasks given, but not these results': the flag is there, the task is not.
  run -3 --separate-stderr check --tasks gemm-tasks.jsonl train.jsonl
  assert_equal "$stderr" "proof-check: 1 result(s) inconclusive for want of their task: it is in neither --tasks nor --leases"
  # --quiet silences the hint, not the status.
  run -3 --separate-stderr check -q train.jsonl
  assert_equal "$stderr" ''
  # A reject wins over an inconclusive: exit 1.
  head -1 train.jsonl | jq -c '.header.task = "sha256:00"' | grid-key sign --key key1 >wrong.jsonl
  run -1 --separate-stderr check wrong.jsonl train.jsonl
  assert_jq_all 'map(.status) | join(",")' "reject,inconclusive"
  # What needs nothing more is accepted: exit 0, nothing on stderr.
  run -0 --separate-stderr check --mode sig,trace train.jsonl
  assert_jq .status accept
  assert_equal "$stderr" ''
}

@test "exit 3 means inconclusive, for a script: proof-check || case \$? in 3) ..." {
  run -0 bash -c 'proof-check --key vkey --store S train.jsonl >/dev/null 2>&1; case $? in 0) echo ok ;; 3) echo inconclusive ;; *) echo other ;; esac'
  assert_output inconclusive
}

@test "a train result whose header.kernel is not a string: spot is inconclusive naming it; exit 3" {
  head -1 train.jsonl | jq -c '.header.kernel = 5' | grid-key sign --key key1 >odd.jsonl
  run -3 --separate-stderr check --tasks train-tasks.jsonl odd.jsonl
  assert_jq .status inconclusive
  assert_jq .reason "spot: kernel (a number): this verifier re-executes grid-exact-1 in exact mode"
}

@test "a checkpoint in neither the store nor at --store-url: inconclusive; by file:// URL it is fetched" {
  mkdir empty
  run -3 --separate-stderr proof-check --key vkey --store empty --tasks train-tasks.jsonl train.jsonl
  assert_jq .status inconclusive
  # The task was given: no hint about --tasks.
  assert_equal "$stderr" ''
  assert_jq .reason "spot: segment 0 (steps 0..10): the checkpoint at step 0 is unavailable: $(jq -r '.train.trace.checkpoints[0].sha256' train.jsonl) is not in the store empty (give the provider's store with --store or --store-url)"
  assert_jq .checked.trace.checkpoints_missing 5
  run -0 --separate-stderr proof-check --key vkey --store empty --store-url "file://$PWD/S" --tasks train-tasks.jsonl train.jsonl
  assert_jq .status accept
  # A corrupt object behind the URL is a reject.
  ckpt=$(object S "$(jq -r '.train.trace.checkpoints[2].sha256' train.jsonl)")
  chmod u+w "$ckpt"
  printf 'x' >>"$ckpt"
  run -1 --separate-stderr proof-check --key vkey --store empty --store-url "file://$PWD/S/" --tasks train-tasks.jsonl --mode spot train.jsonl
  assert_reason '^spot: segment 2 .*: the checkpoint at step 20 is corrupt'
  # A --store-url where nothing answers: --retries transient failures in a
  # row, then 75 naming the URL (the verifier's link, not the provider's
  # fault: no verdict).
  dead=$(dead_url)
  for retries in 0 1; do
    run -75 --separate-stderr proof-check --key vkey --store empty --store-url "$dead/S" \
      --retries $retries --tasks train-tasks.jsonl train.jsonl
    assert_output ''
    stderr_matches "^proof-check: error: cannot fetch $dead/S/sha256/.*\(gave up after $((retries + 1)) attempts?\)\$"
  done
}

# ---- leases -------------------------------------------------------------

@test "--leases: the signer must be the lease's provider, the task the lease's task" {
  task=$(cat train-tasks.jsonl)
  jq -nc --argjson t "$task" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,task:$t}' | grid-key sign --key key3 >lease1.jsonl
  jq -nc --argjson t "$task" --arg p "$PUB2" '{kind:"lease",v:1,provider:$p,task:$t}' | grid-key sign --key key3 >lease2.jsonl
  run -0 --separate-stderr check --leases lease1.jsonl train.jsonl
  assert_jq .status accept
  assert_jq .checked.sig.lease "$(jq -r .id lease1.jsonl)"
  # The lease's task serves as --tasks: spot ran.
  assert_jq '.checked.spot.segments | length' 4
  run -1 --separate-stderr check --leases lease2.jsonl train.jsonl
  assert_reason "^sig: signed by $PUB1, but the lease sha256:[0-9a-f]+ was awarded to $PUB2\$"
  # A provider, or a task id, spelled in upper case is no key or hash of a
  # message: 65 naming it, not a reject of an honest result.
  upper=ed25519:$(tr a-f A-F <<<"${PUB1#ed25519:}")
  jq -nc --argjson t "$task" --arg p "$upper" '{kind:"lease",v:1,provider:$p,task:$t}' | grid-key sign --key key3 >upper.jsonl
  run -65 --separate-stderr check --leases upper.jsonl train.jsonl
  stderr_matches "provider must be ed25519:<64 lower-case hex digits> .*field \.provider\)$"
  jq -nc --arg t "$(jq -r .id <<<"$task" | tr a-f A-F | sed 's/^SHA256/sha256/')" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,task:$t}' |
    grid-key sign --key key3 >uppertask.jsonl
  run -65 --separate-stderr check --leases uppertask.jsonl train.jsonl
  stderr_matches "field \.task\)$"
  # A lease for another task is no lease for this one.
  other=$(sed -n 1p gemm-tasks.jsonl)
  jq -nc --argjson t "$other" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,task:$t}' | grid-key id >lease3.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --leases lease3.jsonl train.jsonl
  assert_reason "^sig: no lease in --leases is for task "
  # A result run for a lease names it; it must be that lease.
  job-run --store S --key key1 lease1.jsonl >leased.jsonl
  run -0 --separate-stderr check --leases lease1.jsonl leased.jsonl
  assert_jq .status accept
  run -1 --separate-stderr check --leases lease2.jsonl leased.jsonl
  assert_reason '^sig: its lease sha256:[0-9a-f]+ is not in --leases$'
  # A lease whose content was changed is untrusted input: 65.
  jq -c '.provider = "x"' lease1.jsonl >bad-lease.jsonl
  run -65 --separate-stderr check --leases bad-lease.jsonl train.jsonl
  stderr_matches 'input line 1 of bad-lease\.jsonl, field \.id'
  # A lease from lease-bid holds its task in .order.task: errors in it name that path.
  bad_task=$(jq -c '.train.steps = "x"' train-tasks.jsonl | grid-key id)
  jq -nc --argjson t "$bad_task" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,order:{task:$t}}' |
    grid-key sign --key key3 >order-lease.jsonl
  run -65 --separate-stderr check --leases order-lease.jsonl train.jsonl
  stderr_matches 'input line 1 of order-lease\.jsonl, field \.order\.task\.train\.steps\)$'
  jq -c '.order.task.train.steps = 7' order-lease.jsonl >changed-lease.jsonl
  run -65 --separate-stderr check --leases changed-lease.jsonl train.jsonl
  stderr_matches 'field \.(id|order\.task\.id)\)$'
}

# ---- lease deadlines ----------------------------------------------------

@test "a leased result's verdict records when it was seen against the lease's deadline" {
  task=$(cat train-tasks.jsonl)
  jq -nc --argjson t "$task" --arg p "$PUB1" '{kind:"lease",v:1,provider:$p,task:$t,deadline:"2026-11-28T20:00:00Z"}' |
    grid-key sign --key key3 >lease.jsonl
  job-run --store S --key key1 --now 2026-11-28T19:00:00Z lease.jsonl >leased.jsonl
  # In time: seen before the deadline, 0 s late, nothing on stderr.
  run -0 --separate-stderr check --leases lease.jsonl --now 2026-11-28T19:30:00Z leased.jsonl
  assert_jq .status accept
  assert_jq .seen 2026-11-28T19:30:00Z
  assert_jq .deadline 2026-11-28T20:00:00Z
  assert_jq .late_seconds 0
  assert_equal "$stderr" ''
  grid-key verify --by "$VPUB" <<<"$output" >/dev/null
  # Late: the work is still judged as work, and stderr says what the lateness costs.
  run -0 --separate-stderr check --leases lease.jsonl --now 2026-11-28T20:01:30Z leased.jsonl
  assert_jq .status accept
  assert_jq .seen 2026-11-28T20:01:30Z
  assert_jq .late_seconds 90
  assert_equal "$stderr" "proof-check: warning: result $(jq -r .id leased.jsonl) of lease $(jq -r .id lease.jsonl) seen 2026-11-28T20:01:30Z, 1 min 30 s past the lease's deadline 2026-11-28T20:00:00Z; pay-settle gives a lease's hold back to the buyer once its deadline has passed"
  # A result that names no lease, or a lease without a deadline: nothing recorded.
  run -0 --separate-stderr check --leases lease.jsonl --now 2026-11-28T20:01:30Z train.jsonl
  assert_jq 'has("seen") or has("deadline") or has("late_seconds")' false
  jq -c 'del(.deadline)' lease.jsonl | grid-key sign --key key3 >open.jsonl
  job-run --store S --key key1 open.jsonl >open-result.jsonl
  run -0 --separate-stderr check --leases open.jsonl --now 2026-11-28T20:01:30Z open-result.jsonl
  assert_jq 'has("seen")' false
  # A lease whose deadline is no time is untrusted input: 65 naming it.
  jq -c '.deadline = "soon"' lease.jsonl | grid-key sign --key key3 >bad.jsonl
  run -65 --separate-stderr check --leases bad.jsonl leased.jsonl
  stderr_matches 'input line 1 of bad\.jsonl, field \.deadline\)$'
}

# ---- gemm ----------------------------------------------------------------

@test "honest gemm results pass sig, trace, rows and freivalds" {
  run -0 --separate-stderr check --tasks gemm-tasks.jsonl --mode sig,trace,rows,freivalds gemm.jsonl
  assert_equal "${#lines[@]}" 2
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
  assert_jq_all 'map(.modes) | unique | tostring' '[["sig","trace","rows","freivalds"]]'
  assert_jq_all '.[0].checked.rows.of' 32
  # Exact hypergeometric: 4 faked rows of 32 (a tenth, rounded up) need 21 draws for 99%.
  assert_jq_all '.[0].checked.rows.rows | length' 21
  assert_jq_all '.[0].checked.freivalds | [.rounds, .rows, .max_error_over_bound < 1] | tostring' '[16,32,true]'
  assert_jq_all '.[0].checked.trace.c_verified' true
  # Default modes: spot re-runs rows of a gemm result.
  run -0 --separate-stderr check --tasks gemm-tasks.jsonl gemm.jsonl
  assert_jq_all 'map(.checked.spot.rows | length) | tostring' '[21,21]'
}

@test "a random C (consistent hashes, stored) is rejected by rows and by freivalds" {
  head -1 gemm.jsonl | random_c S 48 | grid-key sign --key key1 >forged.jsonl
  # Its hashes agree with each other: only recomputation tells.
  run -0 --separate-stderr check --tasks gemm-tasks.jsonl --mode sig,trace forged.jsonl
  assert_jq .status accept
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode rows forged.jsonl
  assert_reason '^rows: row [0-9]+ \(C row [0-9]+\): the recomputed row differs from row_leaves\[[0-9]+\]$'
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode freivalds forged.jsonl
  assert_reason '^freivalds: row 0 \(C row 0\): C r differs from A \(B r\) by .*, past the FP32 bound .* \(round 0\)$'
}

@test "one wrong entry of C past the FP32 bound is caught by freivalds" {
  python3 -c "$PY_MERKLE"'
import os, struct
store = sys.argv[1]
r = json.loads(sys.stdin.readline())
g = r["gemm"]
path = lambda h: f"{store}/sha256/{h[:2]}/{h[2:]}"
c = bytearray(open(path(g["c_sha256"][7:]), "rb").read())
x = struct.unpack_from("<f", c, 4 * (5 * 48 + 7))[0]
struct.pack_into("<f", c, 4 * (5 * 48 + 7), x + 64.0)
h = sha(bytes(c)).hex()
os.makedirs(os.path.dirname(path(h)), exist_ok=True)
open(path(h), "wb").write(c)
rows = [bytes(c[i * 192:(i + 1) * 192]) for i in range(len(c) // 192)]
leaves = [sha(b"\x00" + row) for row in rows]
g["c_sha256"] = "sha256:" + h
g["row_leaves"] = [l.hex() for l in leaves]
g["row_root"] = "sha256:" + mth(leaves).hex()
dump(r)' S <gemm.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode freivalds forged.jsonl
  assert_reason '^freivalds: row 5 \(C row 5\): C r differs'
  # rows catches it only when it draws row 5: with every row drawn, always.
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode rows --samples 32 forged.jsonl
  assert_reason '^rows: row 5 \(C row 5\): the recomputed row differs from row_leaves\[5\]$'
}

@test "a C that does not match its row leaves, or is not stored, fails or is inconclusive" {
  head -1 gemm.jsonl | random_c S 48 | jq -c '.gemm.row_leaves[3] = .gemm.row_leaves[4]' | python3 -c "$PY_MERKLE"'
r = json.loads(sys.stdin.readline())
r["gemm"]["row_root"] = "sha256:" + mth([bytes.fromhex(x) for x in r["gemm"]["row_leaves"]]).hex()
dump(r)' | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode freivalds forged.jsonl
  assert_reason '^freivalds: row 3 \(C row 3\) of the stored C does not match row_leaves\[3\]$'
  mkdir empty
  run -3 --separate-stderr proof-check --key vkey --store empty --tasks gemm-tasks.jsonl --mode freivalds gemm.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_jq_all '.[0].reason' 'freivalds: C is unavailable: '"$(jq -r .gemm.c_sha256 <<<"$(head -1 gemm.jsonl)")"' is not in the store empty (give the provider'"'"'s store with --store or --store-url)'
}

@test "fast-mode gemm: freivalds accepts it, rows (exact hashes) is inconclusive" {
  jq -c '.mode = "fast" | .gemm.m = 64 | .gemm.n = 48 | .gemm.k = 32' "$ROOT/examples/jobs/gemm.json" | job-split --tasks 2 >fast-tasks.jsonl
  job-run --store S --key key1 fast-tasks.jsonl >fast.jsonl
  run -0 --separate-stderr check --tasks fast-tasks.jsonl --mode sig,trace,freivalds fast.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
  run -3 --separate-stderr check --tasks fast-tasks.jsonl --mode rows fast.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_jq_all '.[0].reason' 'rows: rows compares exact row hashes; this result ran in fast mode (freivalds checks it)'
  # A result computed in another mode than its task asks for is rejected.
  job-run --store S --key key1 --mode fast gemm-tasks.jsonl >wrong-mode.jsonl
  run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode sig wrong-mode.jsonl
  assert_jq_all '.[0].reason' 'sig: the task asks for exact mode, the result was computed in fast mode'
  # The task's place in its job, repeated by the result, must be the task's.
  job=$(jq -r .job <<<"$(head -1 gemm-tasks.jsonl)")
  for edit in '.job = "x"	job is "x", the task'"'"'s is "'"$job"'"' '.index = 1	index is 1, the task'"'"'s is 0' \
              '.index = "0"	index is "0", the task'"'"'s is 0' '.header.seed = 5	header.seed is 5, the task'"'"'s is '; do
    head -1 gemm.jsonl | jq -c "del(.id, .sig) | $(cut -f1 <<<"$edit")" | grid-key sign --key key1 >placed.jsonl
    run -1 --separate-stderr check --tasks gemm-tasks.jsonl --mode sig placed.jsonl
    assert_jq .reason "sig: $(cut -f2 <<<"$edit")$( [[ $edit == *seed* ]] && jq -r .seed <<<"$(head -1 gemm-tasks.jsonl)")"
  done
}

# ---- infer ---------------------------------------------------------------

@test "infer: honest predictions pass trace and spot; a forged batch is named" {
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  jq -nc --arg m "$model" '{kind:"job",v:1,type:"infer",infer:{model:{sha256:$m},
    data:{synthetic:{kind:"blobs",rows:300,features:8,classes:3,seed:6}},batch:64}}' | job-split --tasks 2 >infer-tasks.jsonl
  job-run --store S --key key1 infer-tasks.jsonl >infer.jsonl
  run -0 --separate-stderr check --tasks infer-tasks.jsonl infer.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
  assert_jq_all '.[1].checked | [.trace.leaves, .trace.predictions_verified, .spot.batches, .spot.of] | tostring' '[3,true,[0,1,2],3]'
  python3 -c "$PY_MERKLE"'
r = json.loads(sys.stdin.readline())
t = r["infer"]["trace"]
t["leaves"][1] = hashlib.sha256(b"made up").hexdigest()
t["root"] = "sha256:" + mth([leaf(x) for x in t["leaves"]]).hex()
dump(r)' <infer.jsonl | grid-key sign --key key1 >forged.jsonl
  run -1 --separate-stderr check --tasks infer-tasks.jsonl --mode sig,spot forged.jsonl
  assert_reason '^spot: batch 1 \(rows 64\.\.128\): the recomputed predictions differ from leaf 1$'
  # trace sees it too, against the stored predictions.
  run -1 --separate-stderr check --tasks infer-tasks.jsonl --mode trace forged.jsonl
  assert_reason '^trace: batch 1 of the stored predictions does not match leaf 1$'
  # Without the model, spot is inconclusive.
  mkdir empty
  run -3 --separate-stderr proof-check --key vkey --store empty --tasks infer-tasks.jsonl --mode spot infer.jsonl
  assert_jq_all '.[0].reason | startswith("spot: the model is unavailable: ")' true
  # A corrupt copy of the model (the buyer's input, not the provider's
  # work) where the verifier reads it: inconclusive, never a reject.
  cp -a S Sbad
  f=Sbad/sha256/${model:7:2}/${model:9}
  chmod u+w "$f"
  printf '\001' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
  run -3 --separate-stderr proof-check --key vkey --store Sbad --tasks infer-tasks.jsonl --mode spot infer.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_jq_all '.[0].reason | startswith("spot: the task'"'"'s model is corrupt where the verifier reads it: ")' true
}

# ---- pinpoint --------------------------------------------------------------

# diverge FROM: the training result with every leaf from step FROM on made
# up (checkpoints, final state and root made to match), as a provider that
# went wrong at FROM would commit to.
diverge() {
  python3 -c "$PY_MERKLE"'
frm = int(sys.argv[1])
r = json.loads(sys.stdin.readline())
t = r["train"]["trace"]
for i in range(frm, len(t["leaves"])):
    t["leaves"][i] = hashlib.sha256(b"wrong %d %d" % (frm, i)).hexdigest()
for cp in t["checkpoints"]:
    cp["sha256"] = "sha256:" + t["leaves"][cp["step"]]
t["root"] = "sha256:" + mth([leaf(x) for x in t["leaves"]]).hex()
r["train"]["final"]["state_sha256"] = "sha256:" + t["leaves"][-1]
dump(r)' "$1"
}

@test "pinpoint: two results that part at step 17: the honest one is named, the other rejected at 17" {
  diverge 17 <train.jsonl | grid-key sign --key key2 >wrong.jsonl
  cat train.jsonl wrong.jsonl >both.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,pinpoint both.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject"]'
  honest=$(jq -r .id train.jsonl)
  assert_jq_all '.[1].reason' "pinpoint: step 17: its state hash differs from re-execution; $honest ($PUB1) has the right one"
  assert_jq_all '.[0].checked.pinpoint.disputes | map([.first_differing_step, .first_differing_checkpoint, .rerun_from, .honest, .provider]) | tostring' \
    "[[17,20,10,\"$honest\",\"$PUB2\"]]"
  assert_jq_all '.[1].checked.pinpoint.disputes[0].honest' "$honest"
  # At a checkpoint step, and at step 1 (re-run from the initial checkpoint).
  for step in 20 1; do
    diverge "$step" <train.jsonl | grid-key sign --key key2 >wrong.jsonl
    run -1 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint wrong.jsonl train.jsonl
    assert_jq_all 'map(.status) | tostring' '["reject","accept"]'
    assert_jq_all '.[0].reason | startswith("pinpoint: step '"$step"': its state hash differs from re-execution")' true
  done
}

@test "pinpoint: a result whose leaves are not its root's cannot borrow an honest result's root" {
  job-run --store S --key key2 train-tasks.jsonl >train2.jsonl
  jq -c 'del(.id,.sig) | .train.trace.leaves[17] = ("ab" * 32)' train2.jsonl | grid-key sign --key key2 >sameroot.jsonl
  [ "$(jq -r .train.trace.root sameroot.jsonl)" = "$(jq -r .train.trace.root train.jsonl)" ]
  cat train.jsonl sameroot.jsonl >both.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode sig,pinpoint both.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject"]'
  assert_jq_all '.[1].reason | test("^pinpoint: its own trace does not hold: the root sha256:[0-9a-f]{64} is not the root of the leaves")' true
  # Nor can one whose final state is not its last leaf, against a result it disagrees with.
  diverge 17 <train.jsonl | jq -c 'del(.id,.sig) | .train.final.state_sha256 = "sha256:" + ("cd" * 32)' |
    grid-key sign --key key2 >badfinal.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint train.jsonl badfinal.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject"]'
  assert_jq_all '.[1].reason' 'pinpoint: its own trace does not hold: final.state_sha256 differs from leaf 40'
  assert_jq_all '.[0].checked.pinpoint.ignored[0].reason' 'final.state_sha256 differs from leaf 40'
  assert_jq_all '.[0].checked.pinpoint.disputes | length' 0
  # A leaf missing: the count is the task's steps plus one.
  jq -c 'del(.id,.sig) | .train.trace.leaves |= .[:-1]' train2.jsonl | grid-key sign --key key2 >short.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint train.jsonl short.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject"]'
  assert_jq_all '.[1].reason | startswith("pinpoint: its own trace does not hold: 40 leaves for 40 steps")' true
}

@test "pinpoint: a different initial state, and both wrong" {
  diverge 0 <train.jsonl | grid-key sign --key key2 >wrong0.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint train.jsonl wrong0.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject"]'
  assert_jq_all '.[1].checked.pinpoint.disputes[0] | [.first_differing_step, .rerun_from] | tostring' '[0,null]'
  # Two results that part at 25 after both went wrong at 23: each is told so.
  python3 -c "$PY_MERKLE"'
r = json.loads(sys.stdin.readline())
t = r["train"]["trace"]
t["leaves"][23] = hashlib.sha256(b"both wrong").hexdigest()
t["root"] = "sha256:" + mth([leaf(x) for x in t["leaves"]]).hex()
dump(r)' <train.jsonl >a.jsonl
  diverge 25 <a.jsonl | grid-key sign --key key2 >b.jsonl
  grid-key sign --key key1 <a.jsonl >a-signed.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint a-signed.jsonl b.jsonl
  assert_jq_all 'map(.status) | tostring' '["reject","reject"]'
  assert_jq_all '.[0].reason | test("^pinpoint: step 23: its state hash and that of sha256:[0-9a-f]+ \\(ed25519:[0-9a-f]+\\) both differ from re-execution$")' true
  assert_jq_all '.[0].checked.pinpoint.disputes[0].honest' null
}

@test "pinpoint: agreeing results pass with no dispute; without the task it is inconclusive" {
  job-run --store S --key key2 train-tasks.jsonl >again.jsonl
  run -0 --separate-stderr check --tasks train-tasks.jsonl --mode pinpoint train.jsonl again.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
  assert_jq_all '.[0].checked.pinpoint.disputes | length' 0
  diverge 17 <train.jsonl | grid-key sign --key key2 >wrong.jsonl
  run -3 --separate-stderr check --mode pinpoint train.jsonl wrong.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_jq_all '.[0].reason' "pinpoint: task $(jq -r .id train-tasks.jsonl) is not given (--tasks or --leases): pinpoint re-executes it"
  # The last agreed checkpoint missing: inconclusive, saying which.
  mkdir empty
  run -3 --separate-stderr proof-check --key vkey --store empty --tasks train-tasks.jsonl --mode pinpoint train.jsonl wrong.jsonl
  assert_jq_all '.[0].reason | startswith("pinpoint: cannot re-run from the last agreed state: the checkpoint at step 10 is unavailable: ")' true
}

# ---- quorum --------------------------------------------------------------

@test "quorum: k distinct providers agreeing make the canonical output; the others are rejected" {
  head -1 gemm-tasks.jsonl >one.jsonl
  job-run --store S --key key1 one.jsonl >q.jsonl
  job-run --store S --key key2 one.jsonl >>q.jsonl
  job-run --store S --key key3 one.jsonl | random_c S 48 | grid-key sign --key key3 >>q.jsonl
  run -1 --separate-stderr check --mode quorum q.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","accept","reject"]'
  assert_jq_all 'map(.provider) | tostring' "[\"$PUB1\",\"$PUB2\",\"$PUB3\"]"
  assert_jq_all '.[2].reason | test("^quorum: its output sha256:[0-9a-f]+ differs from sha256:[0-9a-f]+, which 2 of 3 providers agree on$")' true
  assert_jq_all '.[0].checked.quorum | [.k, .providers, .agree] | tostring' '[2,3,2]'
  # Three needed, two agree: nobody wins.
  run -3 --separate-stderr check --mode quorum --k 3 q.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
  assert_jq_all '.[0].reason' "quorum: no output of task $(jq -r .id one.jsonl) has 3 distinct providers (the most is 2 of 3)"
  # One provider twice is still one provider.
  cat q.jsonl q.jsonl | sed -n '1p;4p' >same.jsonl
  run -3 --separate-stderr check --mode quorum same.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["inconclusive"]'
}

# ---- challenge -------------------------------------------------------------

# challenge_setup: a request, gpu-bench's signed answer, and profiles of
# provider 1 claiming a tiny rate (honest here) and a huge one (an H100 that
# answers like a laptop).
challenge_setup() {
  printf '%s\n' '{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"f32","deadline_ms":60000}' >req.jsonl
  gpu-bench --device cpu --key key1 --challenge req.jsonl >answer.jsonl
  printf '%s\n' '{"kind":"profile","v":1,"summary":{"exact_gemm_tflops":1e-9}}' | grid-key sign --key key1 >slowbox.jsonl
  printf '%s\n' '{"kind":"profile","v":1,"summary":{"exact_gemm_tflops":900}}' | grid-key sign --key key1 >h100.jsonl
}

@test "challenge: an honest answer is accepted against its request and profile" {
  challenge_setup
  run -0 --separate-stderr check --mode sig,challenge --challenges req.jsonl --profile slowbox.jsonl answer.jsonl
  assert_jq '[.status, .type, .request, .provider] | tostring' \
    "[\"accept\",\"challenge\",\"$(jq -r .request answer.jsonl)\",\"$PUB1\"]"
  assert_jq '.checked.challenge | [.request, .of, (.rows | length) > 0, .claimed_tflops] | tostring' '[true,64,true,1e-09]'
  assert_jq '.checked.challenge.tflops > 0' true
  assert_jq '.detection_probability > 0.99' true
  # Default modes do not check answers: inconclusive, saying which mode does.
  run -3 --separate-stderr check answer.jsonl
  assert_jq .status inconclusive
  assert_jq .reason 'none of the modes asked for (trace, spot) applies to a challenge answer (use --mode challenge)'
}

@test "challenge: too slow for the profile, past the deadline, wrong rows, another request: rejected" {
  challenge_setup
  run -1 --separate-stderr check --mode challenge --profile h100.jsonl answer.jsonl
  assert_reason '^challenge: it ran at .* TFLOP/s, below 0\.5 x the 900 TFLOP/s its profile sha256:[0-9a-f]+ claims$'
  jq -c '.answer.elapsed_ms = 60001' answer.jsonl | grid-key sign --key key1 >late.jsonl
  run -1 --separate-stderr check --mode challenge --profile slowbox.jsonl late.jsonl
  assert_reason '^challenge: it took 60001 ms, past the deadline of 60000 ms$'
  # A time of zero would imply an infinite speed: it cannot be true (a
  # negative one is malformed input).
  jq -c '.answer.elapsed_ms = 0' answer.jsonl | grid-key sign --key key1 >instant.jsonl
  run -1 --separate-stderr check --mode challenge --profile h100.jsonl instant.jsonl
  assert_reason '^challenge: its elapsed_ms is 0, not a time$'
  jq -c '.answer.elapsed_ms = -5' answer.jsonl | grid-key sign --key key1 >instant.jsonl
  run -65 --separate-stderr check --mode challenge --profile h100.jsonl instant.jsonl
  stderr_has "field .answer.elapsed_ms"
  python3 -c "$PY_MERKLE"'
r = json.loads(sys.stdin.readline())
a = r["answer"]
a["row_leaves"] = [hashlib.sha256(b"row %d" % i).hexdigest() for i in range(len(a["row_leaves"]))]
a["row_root"] = "sha256:" + mth([bytes.fromhex(x) for x in a["row_leaves"]]).hex()
dump(r)' <answer.jsonl | grid-key sign --key key1 >wrong.jsonl
  run -1 --separate-stderr check --mode challenge --profile slowbox.jsonl wrong.jsonl
  assert_reason '^challenge: row [0-9]+: the recomputed row differs from row_leaves\[[0-9]+\]$'
  printf '%s\n' '{"kind":"challenge","v":1,"seed":43,"n":64,"dtype":"f32","deadline_ms":60000}' >other.jsonl
  run -1 --separate-stderr check --mode challenge --challenges other.jsonl --profile slowbox.jsonl answer.jsonl
  assert_reason '^challenge: it answers request sha256:[0-9a-f]+, which is not in --challenges$'
  jq -c '.answer.elapsed_ms = 1' answer.jsonl >unsigned-change.jsonl
  run -1 --separate-stderr check --mode challenge --profile slowbox.jsonl unsigned-change.jsonl
  assert_reason '^challenge: id does not match the content'
}

@test "challenge: without a profile of the signer the speed is unchecked: inconclusive" {
  challenge_setup
  printf '%s\n' '{"kind":"profile","v":1,"summary":{"exact_gemm_tflops":1e-9}}' | grid-key sign --key key2 >other.jsonl
  run -3 --separate-stderr check --mode challenge --profile other.jsonl answer.jsonl
  assert_jq .status inconclusive
  assert_jq .reason "challenge: no signed profile of $PUB1 in --profile to compare its speed with"
  assert_jq .checked.challenge.request 'not given'
  # An unsigned profile cannot be trusted: 65.
  jq -c 'del(.sig)' slowbox.jsonl >unsigned.jsonl
  run -65 --separate-stderr check --mode challenge --profile unsigned.jsonl answer.jsonl
  stderr_matches 'input line 1 of unsigned\.jsonl, field \.sig'
  # A profile whose content no longer hashes to its id: the id is what is
  # wrong, and the error names it.
  jq -c '.summary.exact_gemm_tflops = 1e-12' slowbox.jsonl >edited.jsonl
  run -65 --separate-stderr check --mode challenge --profile edited.jsonl answer.jsonl
  stderr_matches 'profile: id does not match the content.*input line 1 of edited\.jsonl, field \.id'
  jq -c '.id = 7' slowbox.jsonl >numid.jsonl
  run -65 --separate-stderr check --mode challenge --profile numid.jsonl answer.jsonl
  stderr_matches 'profile: id is not a string.*field \.id'
  printf '%s\n' "{\"kind\":\"seal\",\"v\":1,\"task\":\"sha256:$(printf '%064d' 0)\",\"seal\":\"sha256:$(printf '%064d' 1)\"}" |
    grid-key sign --key key1 | jq -c '.task = "sha256:\("2" * 64)"' >seal.jsonl
  run -65 --separate-stderr check --mode challenge --seals seal.jsonl --profile slowbox.jsonl answer.jsonl
  stderr_matches 'seal: id does not match the content.*input line 1 of seal\.jsonl, field \.id'
}

# ---- input handling --------------------------------------------------------

@test "verdicts come in input order; any reject makes the exit status 1" {
  jq -c '.train.trace.leaves[3] = ("ab" * 32)' train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  cat train.jsonl forged.jsonl gemm.jsonl >all.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl --tasks gemm-tasks.jsonl all.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject","accept","accept"]'
  assert_jq_all 'map(.result) | tostring' "$(jq -s -c 'map(.id)' all.jsonl)"
  assert_jq_all '.[1].reason' 'spot: segment 0 (steps 0..10): the state after step 3 differs from leaf 3'
  # proof-check && pay-settle: the && stops here.
  run -1 bash -c 'proof-check --key vkey --store S --tasks train-tasks.jsonl forged.jsonl >/dev/null && echo paid'
  refute_output --partial paid
}

@test "malformed input is 65 naming the line and field; --keep-going checks the rest" {
  bad() {
    printf '%s\n' "$(cat train.jsonl)" "$1" >bad.jsonl
    run -65 --separate-stderr check --tasks train-tasks.jsonl bad.jsonl
    assert_output ''
    stderr_matches "^proof-check: error: .*\\(input line 2 of bad\\.jsonl, field \\$2\\)\$"
  }
  bad "$(jq -c 'del(.train.trace.root)' train.jsonl)" .train.trace.root
  bad "$(jq -c '.train.trace.leaves[2] = "xyz"' train.jsonl)" '.train.trace.leaves\[2\]'
  bad "$(jq -c '.train.trace.checkpoints[1].step = "ten"' train.jsonl)" '.train.trace.checkpoints\[1\].step'
  bad "$(jq -c 'del(.header)' train.jsonl)" .header
  bad "$(jq -c '.train.losses[1].loss = "low"' train.jsonl)" '.train.losses\[1\].loss'
  # A loss past the doubles (1e999) is refused where the JSON is read.
  printf '%s\n' "$(cat train.jsonl)" "$(jq -c '.train.losses[1].loss = 1' train.jsonl | sed 's/"loss":1,"step":20}/"loss":1e999,"step":20}/')" >bad.jsonl
  run -65 --separate-stderr check --tasks train-tasks.jsonl bad.jsonl
  assert_output ''
  stderr_has 1e999
  bad "$(jq -c '.train.final.loss = "low"' train.jsonl)" .train.final.loss
  bad "$(jq -c 'del(.train.final.loss)' train.jsonl)" .train.final.loss
  bad "$(jq -c '.train.final.model_sha256 = "x"' train.jsonl)" .train.final.model_sha256
  bad "$(jq -c '.gemm.row_end = 0' <<<"$(head -1 gemm.jsonl)")" .gemm.row_end
  bad '{"kind":"result","v":2}' .v
  bad '{"kind":"task","v":1}' .kind
  printf '%s\n' 'not json' "$(cat train.jsonl)" >bad.jsonl
  run -65 --separate-stderr check --tasks train-tasks.jsonl bad.jsonl
  stderr_matches '^proof-check: error: malformed JSON.*\(input line 1 of bad\.jsonl\)$'
  run -65 --separate-stderr check --tasks train-tasks.jsonl --keep-going bad.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .status accept
  stderr_has "1 bad input line(s)"
  # A task whose content was changed after it was cut is untrusted: 65.
  jq -c '.train.steps = 41' train-tasks.jsonl >bad-task.jsonl
  run -65 --separate-stderr check --tasks bad-task.jsonl train.jsonl
  stderr_matches 'input line 1 of bad-task\.jsonl, field \.id'
}

@test "--pass passes other messages through untouched; without it they are 65" {
  printf '%s\n' '{"kind":"order","v":1,  "x":1}' "$(cat train.jsonl)" >mixed.jsonl
  run -0 --separate-stderr check --tasks train-tasks.jsonl --pass mixed.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "${lines[0]}" '{"kind":"order","v":1,  "x":1}'
  assert_equal "$(jq -r .kind <<<"${lines[1]}")" verdict
  run -65 --separate-stderr check --tasks train-tasks.jsonl mixed.jsonl
  stderr_matches 'input line 1 of mixed\.jsonl, field \.kind\)$'
}

@test "results and side files by file:// URL; a missing one is 66" {
  run -0 --separate-stderr check --tasks "file://$PWD/train-tasks.jsonl" "file://$PWD/train.jsonl"
  assert_jq .status accept
  run -66 --separate-stderr check --tasks "file://$PWD/nowhere.jsonl" train.jsonl
  stderr_has "nowhere.jsonl"
}

@test "results on stdin; an empty input gives no verdicts" {
  run -0 --separate-stderr bash -c 'proof-check --key vkey --store S --tasks train-tasks.jsonl <train.jsonl'
  assert_jq .status accept
  : >empty.jsonl
  run -0 --separate-stderr check empty.jsonl
  assert_output ''
}

# ---- --format ---------------------------------------------------------------

# table_row LINE: the columns of a table row before the reason, one per line,
# then the reason (which may hold spaces) whole.
table_row() {
  [[ $1 =~ ^([^ ]+)\ +([^ ]+)\ +([^ ]+)\ +([^ ]+)\ +([^ ]+)\ +([^ ]+)\ +([^ ]+)(\ \ (.*))?$ ]] ||
    fail "not a table row: '$1'"
  printf '%s\n' "${BASH_REMATCH[@]:1:7}" "${BASH_REMATCH[9]}"
}

# starts_under LINE HEADER COLUMN: in LINE, COLUMN's value starts where its
# heading does in HEADER (left-aligned columns).
starts_under() {
  local head=${2%%"$3"*}
  local at=${#head}
  [[ ${1:at:1} != ' ' && ( $at -eq 0 || ${1:at-2:2} == '  ' ) ]] || fail "column $3 does not start under its heading: '$1'"
}

# ends_under LINE HEADER COLUMN: the same for right-aligned columns' ends.
ends_under() {
  local head=${2%%"$3"*}
  local at=$((${#head} + ${#3}))
  [[ ${1:at-1:1} != ' ' && ( ${1:at:1} == ' ' || $at -eq ${#1} ) ]] || fail "column $3 does not end under its heading: '$1'"
}

@test "--format table: a header, one aligned row per verdict, the reason of a reject whole; exit 1" {
  jq -c '.train.trace.leaves[3] = ("ab" * 32)' train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  cat train.jsonl forged.jsonl >both.jsonl
  run -1 --separate-stderr check --tasks train-tasks.jsonl both.jsonl
  local verdicts=$output
  run -1 --separate-stderr check --tasks train-tasks.jsonl --format table both.jsonl
  assert_equal "$stderr" ''
  assert_equal "${#lines[@]}" 3
  local header=${lines[0]}
  assert_equal "$(tr -s ' ' <<<"$header")" 'result provider task status modes detect seconds reason'
  local i row want col
  for i in 0 1; do
    mapfile -t row < <(table_row "${lines[i + 1]}")
    assert_equal "${#row[@]}" 8
    # result, provider, task, status, modes and reason: those of the JSON verdict.
    want=$(jq -s -r ".[$i]"' | .result[7:23], .provider[8:24], .task[7:23], .status, (.modes | join(",")),
      (.reason // "")' <<<"$verdicts")
    assert_equal "$(printf '%s\n' "${row[@]:0:5}" "${row[7]}")" "$want"
    [[ ${row[5]} =~ ^(-|0|1|0\.[0-9]{1,6})$ ]] || fail "detect '${row[5]}' is not a probability"
    [[ ${row[6]} =~ ^[0-9]+\.[0-9]{3}$ ]] || fail "seconds '${row[6]}' is not a number of seconds"
    for col in result provider task status modes; do starts_under "${lines[i + 1]}" "$header" "$col"; done
    for col in detect seconds; do ends_under "${lines[i + 1]}" "$header" "$col"; done
  done
  starts_under "${lines[2]}" "$header" reason
  assert_equal "$(table_row "${lines[1]}" | sed -n 4p)" accept
  assert_equal "$(table_row "${lines[2]}" | sed -n 4p)" reject
  assert_equal "$(table_row "${lines[2]}" | sed -n 8p)" 'spot: segment 0 (steps 0..10): the state after step 3 differs from leaf 3'
  assert_equal "$(table_row "${lines[1]}" | sed -n 2p)" "${PUB1:8:16}"
  # Every segment re-run: caught for sure.
  assert_equal "$(table_row "${lines[1]}" | sed -n 6p)" 1
  # An accept has no reason, and no row ends in spaces.
  refute_output --regexp ' $'
  refute_output --partial $'  \n'
  run -0 --separate-stderr check --tasks train-tasks.jsonl --format table train.jsonl
  assert_equal "${#lines[@]}" 2
}

@test "--format json is the default output when stdout is not a terminal, byte for byte" {
  jq -c '.train.trace.leaves[3] = ("ab" * 32)' train.jsonl | reroot | grid-key sign --key key1 >forged.jsonl
  printf '%s\n' '{"kind":"order","v":1,  "x":1}' "$(cat train.jsonl)" "$(cat forged.jsonl)" >mixed.jsonl
  local rc=0
  check --tasks train-tasks.jsonl --pass mixed.jsonl >default.out || rc=$?
  assert_equal "$rc" 1
  rc=0
  check --tasks train-tasks.jsonl --pass --format json mixed.jsonl >json.out || rc=$?
  assert_equal "$rc" 1
  # The verifier's seconds differ from run to run, and with them the id and
  # signature: those are masked, after checking the signatures; every other
  # byte must be the same, the passed-through line first, untouched.
  tail -n +2 default.out | grid-key verify --by "$VPUB" >/dev/null
  tail -n +2 json.out | grid-key verify --by "$VPUB" >/dev/null
  mask() {
    sed -E 's/"verifier_seconds":[-+.0-9eE]+/"verifier_seconds":S/; s/"id":"sha256:[0-9a-f]{64}"/"id":I/; s/"sig":\{"by[^}]*\}/"sig":G/' "$1"
  }
  assert_equal "$(wc -l <json.out)" 3
  assert_equal "$(mask json.out | grep -c '"verifier_seconds":S.*' )" 2
  cmp <(mask json.out) <(mask default.out)
  cmp <(head -1 json.out) <(head -1 mixed.jsonl)
  assert_equal "$(tail -n +2 json.out | jq -r .status | tr '\n' ' ')" 'accept reject '
}

@test "--format table with --pass: passed messages are left out of stdout and counted on stderr" {
  printf '%s\n' '{"kind":"order","v":1}' '{"kind":"bid","v":1}' "$(cat train.jsonl)" >mixed.jsonl
  run -0 --separate-stderr check --tasks train-tasks.jsonl --pass --format table mixed.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "$(table_row "${lines[1]}" | sed -n 4p)" accept
  stderr_has '2 passed-through message(s)'
  stderr_has '--format json'
  run -0 --separate-stderr check --tasks train-tasks.jsonl --pass --format table --quiet mixed.jsonl
  assert_equal "$stderr" ''
}

@test "a bad --format is a usage error (64) and writes nothing" {
  run -64 --separate-stderr check --format xml --tasks train-tasks.jsonl train.jsonl
  assert_output ''
  stderr_matches '^proof-check: error: .*xml'
}

@test "--format table is the default when stdout is a terminal" {
  command -v script >/dev/null || skip "script(1) is not installed"
  # --quiet: stderr is the terminal too, and would show progress.
  run -0 script -qec "proof-check --quiet --key vkey --store S --tasks train-tasks.jsonl train.jsonl" /dev/null
  assert_line --index 0 --regexp '^result +provider +task +status +modes +detect +seconds +reason'
  assert_line --index 1 --regexp '^[0-9a-f]{16}  [0-9a-f]{16}  [0-9a-f]{16}  accept '
}

# ---- completion --------------------------------------------------------------

@test "bash completion offers modes, devices, flags and files" {
  complete_words() { bash_complete proof-check "$@"; }
  run -0 complete_words proof-check --mode ''
  assert_output "$(printf '%s\n' sig trace spot rows freivalds crop rerun compare pinpoint quorum challenge)"
  run -0 complete_words proof-check --mode sig,tr
  assert_output sig,trace
  run -0 complete_words proof-check --device ''
  assert_line cpu
  run -0 complete_words proof-check --cheat
  assert_output --cheat-fraction
  run -0 complete_words proof-check --format ''
  assert_output "$(printf '%s\n' json table)"
  run -0 complete_words proof-check --form
  assert_output --format
  run -0 complete_words proof-check --tasks train-t
  assert_output train-tasks.jsonl
}
