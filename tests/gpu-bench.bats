#!/usr/bin/env bats
# gpu-bench: profiles and proof-of-GPU challenge answers, driven through the
# real binary. Runs on the CPU (--device cpu, --quick) so it needs no GPU.

bats_require_minimum_version 1.5.0
load test_helper

REQ42='{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"f32","deadline_ms":60000}'
REQ43='{"kind":"challenge","v":1,"seed":43,"n":64,"dtype":"f32","deadline_ms":60000}'

# quick_profile: output, lines and stderr as `run --separate-stderr gpu-bench
# --device cpu --quick` sets them, from one run for the whole file, made by
# the first test that asks (a run costs about 20 CPU seconds: the kinds
# section runs job-run's reference tasks; setup_file would cost them to
# every `bats -f` too). The run must have exited 0.
quick_profile() {
  local f=$BATS_FILE_TMPDIR
  (
    flock 9
    cd "$f" || exit 1
    [ -e quick.rc ] && exit 0
    rc=0
    gpu-bench --device cpu --quick >quick.json 2>quick.err || rc=$?
    echo "$rc" >quick.rc
  ) 9>"$f/quick.lock"
  [ "$(cat "$f/quick.rc")" = 0 ] || fail "gpu-bench --device cpu --quick exited $(cat "$f/quick.rc"): $(cat "$f/quick.err")"
  output=$(cat "$f/quick.json")
  stderr=$(cat "$f/quick.err")
  mapfile -t lines <"$f/quick.json"
}

setup() {
  common_setup
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  printf '%s\n' "$REQ42" >req42.jsonl
}

# A GPU answers here (then the no-GPU expectations do not apply).
gpu_present() {
  command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '
}

# answer_hashes: the parts of a challenge answer that must be reproducible.
answer_hashes() {
  jq -cS '.answer | {c_sha256, row_root, row_leaves}'
}

# independent_answer SEED N: c_sha256, row_root and row_leaves for a
# challenge, from a Python reimplementation of the documented definition
# (Philox4x32-10, the [-1, 1) mapping, a sequential FP32 fma chain rounded
# exactly with fractions, RFC 6962 hashing), sharing no code with gpu-bench.
independent_answer() {
  python3 - "$1" "$2" <<'EOF'
import json, struct, sys
from fractions import Fraction

M0, M1, W0, W1, MASK = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85, 0xFFFFFFFF

def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
        k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
    return c0, c1, c2, c3

# Random123's known-answer vectors for philox4x32_10: the generator itself.
assert philox4x32_10((0, 0, 0, 0), (0, 0)) == (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)
assert philox4x32_10((MASK,) * 4, (MASK, MASK)) == (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)
assert philox4x32_10((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0)) == \
    (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)

def word(seed, stream, index):
    block = index >> 2
    return philox4x32_10((block & MASK, block >> 32, stream, 0), (seed & MASK, seed >> 32))[index & 3]

def matrix(seed, stream, n):  # entry (r, c) from word r*n + c: (w >> 8) * 2^-23 - 1, exact
    return [[Fraction(word(seed, stream, r * n + c) >> 8, 1 << 23) - 1 for c in range(n)] for r in range(n)]

def round_f32(x):  # the float32 nearest to the rational x, ties to even
    if x == 0:
        return Fraction(0)
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    ulp = Fraction(2) ** (max(e, -126) - 23)
    q, rem = divmod(a, ulp)
    if 2 * rem > ulp or (2 * rem == ulp and q % 2 == 1):
        q += 1
    assert q * ulp < Fraction(2) ** 128
    return q * ulp if x > 0 else -q * ulp

# round_f32 agrees with the hardware's double -> float rounding.
for t in (1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 0.1, -1 / 3, 2.0 ** -149 * 1.5, 2.0 ** -149 * 2.5):
    assert float(round_f32(Fraction(t))) == struct.unpack("<f", struct.pack("<f", t))[0], t

from merkle_reference import sha, mth  # RFC 6962, tests/merkle_reference.py

seed, n = int(sys.argv[1]), int(sys.argv[2])
A, B = matrix(seed, 1, n), matrix(seed, 2, n)
rows = []
for i in range(n):
    row = []
    for j in range(n):
        acc = Fraction(0)
        for p in range(n):
            acc = round_f32(acc + A[i][p] * B[p][j])  # fmaf: exact product and sum, one rounding
        row.append(struct.pack("<f", float(acc)))  # acc is a float32, so both conversions are exact
    rows.append(b"".join(row))
leaves = [sha(b"\x00" + r) for r in rows]
print(json.dumps({"c_sha256": "sha256:" + sha(b"".join(rows)).hex(), "row_root": "sha256:" + mth(leaves).hex(),
                  "row_leaves": [l.hex() for l in leaves]}, sort_keys=True, separators=(",", ":")))
EOF
}

# ---- flags -------------------------------------------------------------

@test "--version prints the gridutils version; --help lists every flag" {
  run -0 --separate-stderr gpu-bench --version
  assert_output --regexp '^gridutils [0-9]+\.[0-9]+\.[0-9]+$'
  run -0 --separate-stderr gpu-bench --help
  for flag in --device --quick --only --kinds --threads --sign --challenge --challenge-runs --key --format --keep-going -q,--quiet; do
    assert_output --partial -- "$flag"
  done
}

@test "an unknown flag is a usage error (64)" {
  run -64 --separate-stderr gpu-bench --no-such-flag
  stderr_matches '^gpu-bench: error: '
  stderr_has --no-such-flag
  assert_output ''
}

# ---- the profile -------------------------------------------------------

@test "--device cpu --quick prints one valid profile line" {
  quick_profile
  assert_equal "${#lines[@]}" 1
  assert_jq .kind profile
  assert_jq .v 1
  assert_jq .device cpu
  assert_jq .quick true
  assert_jq '.gemm.exact_f32.best.tflops.median > 0' true
  assert_jq '.gemm | has("fast_f32")' true
  assert_jq '.gemm.fast_f32.best.tflops.median > 0' true
  assert_jq '[.gemm[].sweep[].check.ok] | length > 0 and all' true
  assert_jq .faulty false
  assert_jq '.faults | length' 0
  assert_jq '.mem.triad_gbps.median > 0' true
  assert_jq '.pcie | has("skipped")' true
  assert_jq '.nccl | has("skipped")' true
  assert_jq '.summary.exact_gemm_tflops > 0' true
  assert_jq '.id | test("^sha256:[0-9a-f]{64}$")' true
  assert_jq 'has("sig")' false
  # Progress notes only go to a terminal.
  assert_equal "$stderr" ''
}

@test "progress notes go to stderr on a terminal, one per measurement; -q silences them" {
  command -v script >/dev/null || skip "script(1) is not installed"
  # Under script(1) stdout and stderr are one terminal: the notes, then the
  # table (the default on a terminal).
  run -0 script -qec "gpu-bench --device cpu --quick --only gemm,mem" /dev/null
  assert_line --index 0 --partial 'gpu-bench: gemm exact_f32 256^3'
  assert_line --partial 'gpu-bench: gemm fast_f32 512^3'
  assert_line --partial 'gpu-bench: memory triad'
  assert_line --regexp '^GEMM +best size'
  run -0 script -qec "gpu-bench -q --device cpu --quick --only gemm,mem" /dev/null
  refute_line --partial 'gpu-bench: '
  assert_line --regexp '^GEMM +best size'
}

@test "the profile's numbers are consistent with each other" {
  quick_profile
  # The CPU sweep under --quick: square sizes 256 and 512, 64 entries checked.
  assert_jq '[.gemm.exact_f32.sweep[] | [.m, .n, .k]]' "$(jq -n '[[256,256,256],[512,512,512]]')"
  assert_jq '[.gemm.fast_f32.sweep[].m] | tostring' '[256,512]'
  assert_jq '[.gemm[].sweep[].check.entries] | unique | tostring' '[64]'
  assert_jq '[.gemm[].sweep[].check.max_error_over_magnitude] | max < 1e-5' true
  # min <= median <= max; best is the size with the highest median.
  assert_jq '[.gemm[].sweep[].tflops, .mem.triad_gbps] | map(.min <= .median and .median <= .max and .min > 0) | all' true
  assert_jq '[.gemm[] | .best.tflops.median == ([.sweep[].tflops.median] | max) and (.best as $b | .sweep | any(. == $b))] | all' true
  assert_jq '.summary.exact_gemm_tflops == .gemm.exact_f32.best.tflops.median' true
  assert_jq '.summary.fast_f32_gemm_tflops == .gemm.fast_f32.best.tflops.median' true
  assert_jq '[.summary.gpu_count, .summary.gpu_model, .summary.gpu_memory_bytes] | tostring' '[0,"none",0]'
  assert_jq '.summary.cpu_model == .host.cpu_model and .summary.memory_bytes == .host.memory_bytes' true
  assert_jq '.gpus | tostring' '[]'
  assert_jq '.threads == .host.logical_cores and .host.logical_cores > 0' true
  assert_jq '.mem.array_bytes' $((64 << 20))
  assert_jq '.tool | startswith("gpu-bench ")' true
  assert_jq '.measured_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' true
  # The id is the message's RFC 8785 SHA-256, as grid-key computes it.
  assert_equal "$(grid-key id <<<"$output" | jq -r .id)" "$(jq -r .id <<<"$output")"
}

# cpu_has FLAG...: every flag is in this CPU's /proc/cpuinfo flags.
# logging_job_run [LINE...]: bin/gpu-bench, and beside it the job-run it
# starts: a script that appends each task's type to bin/tasks.log, runs
# the shell LINEs (the task file is $task), writes nothing and exits 0.
logging_job_run() {
  mkdir -p bin
  cp "$(command -v gpu-bench)" bin/
  {
    cat <<'SH'
#!/bin/sh
for a; do task=$a; done
sed 's/.*"type":"\([a-z]*\)".*/\1/' "$task" >>"${0%/*}/tasks.log"
SH
    printf '%s\n' "$@" 'exit 0'
  } >bin/job-run
  chmod +x bin/job-run
}

cpu_has() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done
}

@test "fast_f32 names the OpenBLAS core that ran: chosen from the CPU's features, unless OPENBLAS_CORETYPE says" {
  [[ $(uname -m) == x86_64 ]] || skip "the core types are x86-64's"
  # Prescott, the x86-64 baseline, runs anywhere and is never our choice.
  OPENBLAS_CORETYPE=Prescott run -0 --separate-stderr gpu-bench --device cpu --quick --only gemm
  assert_jq .gemm.fast_f32.openblas.core Prescott
  assert_jq '.gemm.fast_f32.openblas.library | test("libopenblas")' true
  assert_jq '.gemm.exact_f32 | has("openblas")' false
  run -0 --separate-stderr env -u OPENBLAS_CORETYPE gpu-bench --device cpu --quick --only gemm
  if cpu_has avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16; then
    assert_jq .gemm.fast_f32.openblas.core Cooperlake
  elif cpu_has avx512f avx512cd avx512bw avx512dq avx512vl; then
    assert_jq .gemm.fast_f32.openblas.core SkylakeX
  elif cpu_has avx2 fma; then
    assert_jq '.gemm.fast_f32.openblas.core | IN("Haswell", "Zen")' true
  fi
  assert_jq '[.gemm.fast_f32.sweep[].check.ok] | all' true
}

@test "--key signs the whole profile and grid-key verify accepts it" {
  # The sections this test reads; kinds and render would add 15 s of
  # measuring to what is signed the same way.
  run -0 --separate-stderr gpu-bench --device cpu --quick --only gemm,mem,pcie,nccl --key key1
  assert_jq '[has("gemm"), has("mem"), has("pcie"), has("nccl")] | all' true
  assert_jq .sig.by "$PUB1"
  assert_jq '.sig.sig | test("^[0-9a-f]{128}$")' true
  printf '%s\n' "$output" >profile.json
  run -0 --separate-stderr grid-key verify --by "$PUB1" profile.json
  assert_jq .ok true
  # Any change to the measurements breaks the signature.
  jq -c '.mem.triad_gbps.median *= 10' profile.json >tampered.json
  run -1 --separate-stderr grid-key verify tampered.json
  assert_jq .ok false
}

@test "--sign without a key is a usage error (64) and measures nothing" {
  run -64 --separate-stderr gpu-bench --device cpu --quick --sign
  assert_output ''
  stderr_matches '^gpu-bench: error: '
  stderr_has --key
  stderr_has GRID_KEY
}

@test "GRID_KEY signs, with and without --sign; --key wins over it" {
  GRID_KEY=key2 run -0 --separate-stderr gpu-bench --device cpu --quick --only pcie --sign
  assert_jq .sig.by "$PUB2"
  grid-key verify <<<"$output" >/dev/null
  GRID_KEY=key2 run -0 --separate-stderr gpu-bench --device cpu --quick --only pcie
  assert_jq .sig.by "$PUB2"
  GRID_KEY=key2 run -0 --separate-stderr gpu-bench --device cpu --quick --only pcie --key key1
  assert_jq .sig.by "$PUB1"
}

@test "a missing key file is exit 66; an unsafe one is 65" {
  GRID_KEY=no-such-key run -66 --separate-stderr gpu-bench --device cpu --quick --only pcie
  assert_output ''
  stderr_has no-such-key
  chmod 644 key1
  run -65 --separate-stderr gpu-bench --device cpu --quick --only pcie --key key1
  assert_output ''
  stderr_has "chmod 600"
}

@test "--only gemm leaves out mem, pcie and nccl" {
  run -0 --separate-stderr gpu-bench --device cpu --quick --only gemm
  assert_jq '[has("gemm"), has("mem"), has("pcie"), has("nccl")] | tostring' '[true,false,false,false]'
  assert_jq '.summary.exact_gemm_tflops > 0' true
  run -0 --separate-stderr gpu-bench --device cpu --quick --only mem,pcie
  assert_jq '[has("gemm"), has("mem"), has("pcie"), has("nccl")] | tostring' '[false,true,true,false]'
  assert_jq .summary.exact_gemm_tflops 0
  run -0 --separate-stderr gpu-bench --device cpu --quick --only pcie --only nccl
  assert_jq '[has("gemm"), has("mem"), has("pcie"), has("nccl")] | tostring' '[false,false,true,true]'
}

@test "--only kinds,render: seconds per unit of each job kind's work, exact and fast, from reference tasks; a frame's render cost apart" {
  mkdir tmp
  TMPDIR=$PWD/tmp run -0 --separate-stderr gpu-bench --device cpu --quick --only kinds,render
  assert_jq '[has("gemm"), has("mem"), has("kinds"), has("render")] | tostring' '[false,false,true,true]'
  assert_jq '.kinds.tool_start_s > 0' true
  for mode in exact fast; do
    assert_jq ".kinds.$mode.train | keys | tostring" '["data_mvalue","gflop","mrow","state_mb","step","store_mb","store_write","task"]'
    assert_jq ".kinds.$mode.gemm | keys | tostring" '["gflop","melement","store_mb","store_write","task"]'
    assert_jq ".kinds.$mode.infer | keys | tostring" '["batch","data_mvalue","gflop","mrow","store_mb","store_write","task"]'
    assert_jq ".kinds.$mode.exec | keys | tostring" '["exec_second","task"]'
    assert_jq ".kinds.$mode.render | keys | tostring" '["blender_start","frame","mpixel","msample","store_mb","store_write","task"]'
    assert_jq "[.kinds.$mode[][]] | all(type == \"number\" and . >= 0)" true
    # A training step and a task always cost something.
    assert_jq ".kinds.$mode.train.step > 0 and .kinds.$mode.train.task > 0" true
    # exec: the sandbox's start-up is measured; the program's second is a second.
    assert_jq ".kinds.$mode.exec.task > 0 and .kinds.$mode.exec.exec_second == 1" true
    # render: Blender's start-up, first render, frame and rate, from the
    # render section; Blender takes time on each frame beyond its samples.
    assert_jq ".kinds.$mode.render.blender_start == .render.startup_seconds + .render.first_render_seconds" true
    assert_jq ".kinds.$mode.render.msample == 1e6 / .render.samples_per_s" true
    assert_jq ".kinds.$mode.render.frame == .render.frame_seconds and .render.frame_seconds > 0" true
    assert_jq ".kinds.$mode.render.mpixel == 1e6 * .render.pixel_seconds" true
    assert_jq ".kinds.$mode.render.task == .kinds.$mode.gemm.task" true
  done
  # The large frames (384 x 256, 16 times the pixels) were rendered at
  # their size: at 1 sample each took over twice the small one's time.
  assert_jq '.render.scene.large | tostring' '{"height":256,"width":384}'
  assert_jq '.render.medians.large > 2 * .render.medians.low' true
  # A pixel's own cost is the two sizes' difference less its sample, or 0.
  assert_jq '((.render.medians.large - .render.medians.low) / (384 * 256 - 96 * 64) - 1 / .render.samples_per_s) as $p |
    ([$p, 0] | max) - .render.pixel_seconds | fabs < 1e-15' true
  # Its store writes were timed under $TMPDIR, and nothing is left there.
  [ -z "$(ls -A tmp)" ]
}

@test "--only kinds: each kind's fixed cost is job-run's time on its smallest task, as a provider pays it" {
  # gpu-bench starts the job-run beside it: here one that takes 0.4 s
  # more on a train task than on the others, as a slower kind would, and
  # writes nothing (the task cost is job-run's time less the store writes
  # the task would make: a few ms each). It also takes 0.06 and 0.24 s
  # more on the 512^3 and 1024^3 gemm reference tasks (as their values'
  # count grows) and logs each task's type.
  logging_job_run "$(
    cat <<'SH'
grep -o '"m":[0-9]*' "$task" >>"${0%/*}/gemm-sizes.log"
grep -q '"steps":1[,}]' "$task" && sleep 0.4
grep -q '"m":512' "$task" && sleep 0.06
grep -q '"m":1024' "$task" && sleep 0.24
SH
  )"
  run -0 --separate-stderr bin/gpu-bench --device cpu --quick --threads 1 --only kinds
  for mode in exact fast; do
    # A GFLOP's seconds are the product's own, timed in gpu-bench: this
    # job-run's times grow as n^2 only, which a fit reads as (nearly) no
    # arithmetic at all. On one core no CPU runs a 1024^3 product in 4 ms
    # (537 GFLOP/s).
    assert_jq ".kinds.$mode.gemm.gflop * 2.147483648 > 0.004" true
    assert_jq ".kinds.$mode.train.task > 0.2" true
    assert_jq ".kinds.$mode.gemm.task < 0.1 and .kinds.$mode.infer.task < 0.1" true
    # On the CPU the reference tasks' times are job-run's (a task's first
    # run in a new process), so its 0.24 s shows in the 1024^3 task's units.
    assert_jq "[.kinds.$mode.gemm.gflop * 2.147483648, .kinds.$mode.gemm.melement * 3.145728] | add > 0.15" true
  done
  # The fixed costs' runs take turns: the last round has every kind's
  # smallest task (both modes'), not the last kind's alone.
  [ "$(tail -n 8 bin/tasks.log | sort -u | tr '\n' ' ')" = "exec gemm infer train " ]
  # So do a kind's reference tasks: a burst of load falls on every size
  # alike, not on the larger tasks' runs alone, which would tilt the fit.
  [ "$(head -n 6 bin/gemm-sizes.log | tr '\n' ' ')" = '"m":8 "m":512 "m":1024 "m":8 "m":512 "m":1024 ' ]
}

@test "a fake job-run whose times do not grow at all must still give train and infer their arithmetic and train its rows" {
  # This job-run does nothing: fitted to its times, every unit of work
  # beyond the task's was 0, and a sweep's tasks were estimated at a
  # sixth of their time. A GFLOP's and a row's seconds are timed in
  # gpu-bench, through the kinds' own code: on one core no CPU trains or
  # infers at 500 GFLOP/s, nor sends a row through a step in 10 ns.
  logging_job_run
  local tmp=$BATS_TEST_TMPDIR
  [ -w /dev/shm ] && tmp=/dev/shm
  TMPDIR=$tmp run -0 --separate-stderr bin/gpu-bench --device cpu --quick --threads 1 --only kinds --kinds train,infer
  for mode in exact fast; do
    assert_jq ".kinds.$mode.train.gflop > 1 / 500 and .kinds.$mode.infer.gflop > 1 / 500" true
    assert_jq ".kinds.$mode.train.mrow > 0.01" true
  done
}

@test "--only kinds: infer's rows cost what job-run takes on its many-rows reference task beyond their products and batches" {
  # This job-run takes 0.1 s more on infer's reference task of 32768 rows
  # in 8 batches than on the others: a row's own cost (copied, hashed,
  # written) that neither its products nor its batch count explain. It
  # takes 0.04 s on the wide model's task (64 features), no less than its
  # products and data cost, which gpu-bench times itself and takes out.
  # With this job-run flat, mrow is 0.
  logging_job_run "grep -q '\"rows\":32768' \"\$task\" && sleep 0.1" "grep -q '\"features\":64' \"\$task\" && sleep 0.04"
  local tmp=$BATS_TEST_TMPDIR
  [ -w /dev/shm ] && tmp=/dev/shm
  TMPDIR=$tmp run -0 --separate-stderr bin/gpu-bench --device cpu --quick --threads 1 --only kinds --kinds infer
  for mode in exact fast; do
    assert_jq ".kinds.$mode.infer.mrow > 0.3" true
  done
  logging_job_run
  TMPDIR=$tmp run -0 --separate-stderr bin/gpu-bench --device cpu --quick --threads 1 --only kinds --kinds infer
  assert_jq ".kinds.exact.infer.mrow < 0.1" true
}

@test "--kinds: the kinds section measures only the kinds named; another name, or --kinds without the section, is 64; a killed run's folders are swept" {
  # A job-run that does nothing: what is measured shows in the log, in
  # seconds.
  logging_job_run
  # Its store writes in memory where there is some: a busy disk's fsyncs
  # took seconds here, and the costs' values are not the point.
  local tmp=$BATS_TEST_TMPDIR
  [ -w /dev/shm ] && tmp=/dev/shm
  # What a killed run left there (its pid gone) is removed; a live run's
  # folder (this shell's pid) and another name are kept.
  true &
  local dead=$!
  wait "$dead"
  mkdir -p "$tmp/gpu-bench-kinds.$dead.test$$/store" "$tmp/gpu-bench-kinds.$$.test$$" "$tmp/gpu-bench-kindsx.$dead.test$$"
  TMPDIR=$tmp run -0 --separate-stderr bin/gpu-bench --device cpu --quick --threads 1 --only kinds --kinds gemm,exec
  local left
  left=$(cd "$tmp" && ls -d gpu-bench-kinds*."test$$" | tr '\n' ' ')
  rm -rf "$tmp"/gpu-bench-kinds*."test$$"
  assert_equal "$left" "gpu-bench-kinds.$$.test$$ gpu-bench-kindsx.$dead.test$$ "
  assert_jq '[.kinds.exact, .kinds.fast | keys] | tostring' '[["exec","gemm"],["exec","gemm"]]'
  assert_jq '.kinds.tool_start_s >= 0' true
  [ "$(sort -u bin/tasks.log | tr '\n' ' ')" = "exec gemm " ]
  run -64 --separate-stderr gpu-bench --device cpu --quick --only kinds --kinds render
  assert_output ''
  stderr_has render
  run -64 --separate-stderr gpu-bench --device cpu --quick --only gemm --kinds gemm
  assert_output ''
  stderr_has "--kinds narrows the kinds section, which --only leaves out"
}

@test "--only with a bad name is a usage error (64)" {
  run -64 --separate-stderr gpu-bench --device cpu --quick --only gemm,bogus
  assert_output ''
  stderr_has bogus
  run -64 --separate-stderr gpu-bench --device cpu --quick --only memory
  assert_output ''
}

@test "--format table prints a human table of every section, not JSON" {
  run -0 --separate-stderr gpu-bench --device cpu --quick --format table
  assert_output --partial exact_f32
  assert_output --partial fast_f32
  assert_output --partial triad
  assert_output --partial "faulty: no"
  assert_line --regexp '^  exact_f32 +(256|512)\^3 +[0-9.]+ / +[0-9.]+ / +[0-9.]+ +ok$'
  assert_line --regexp '^  triad +[0-9.]+ / [0-9.]+ / [0-9.]+ GB/s$'
  assert_line '  pcie: skipped (no GPU in use)'
  # Each kind's seconds per unit, in both modes, task last.
  for kind in exec gemm infer render train; do
    assert_line --regexp "^  exact $kind +[a-z_]+ [0-9.e+-]+ .* task [0-9.e+-]+$"
    assert_line --regexp "^  fast $kind +[a-z_]+ [0-9.e+-]+ .* task [0-9.e+-]+$"
  done
  assert_line --regexp '^  exact train +.* step [0-9.e+-]+ '
  # Blender's rates, the pixel's own cost among them.
  assert_line --regexp '^render \(Blender [0-9.]+\)$'
  assert_line --regexp '^  samples/s +[0-9.]+ M$'
  assert_line --regexp '^  pixel +[0-9.]+ us beyond its samples$'
  assert_line --regexp '^  frame set-up +[0-9.]+ ms$'
  ! jq -e . <<<"$output" >/dev/null 2>&1 || fail "--format table printed JSON: $output"
  run -0 --separate-stderr gpu-bench --device cpu --quick --only pcie --format json
  assert_jq .kind profile
  run -64 --separate-stderr gpu-bench --device cpu --quick --format xml
  assert_output ''
}

@test "--threads 1 works; --threads outside 0..4096 is a usage error (64)" {
  run -0 --separate-stderr gpu-bench --device cpu --quick --threads 1 --only gemm,mem
  assert_jq .threads 1
  assert_jq '.gemm.exact_f32.best.tflops.median > 0 and .mem.triad_gbps.median > 0' true
  assert_jq '[.gemm[].sweep[].check.ok] | all' true
  run -64 --separate-stderr gpu-bench --device cpu --quick --threads -1
  run -64 --separate-stderr gpu-bench --device cpu --quick --threads 4097
  run -64 --separate-stderr gpu-bench --device cpu --quick --threads many
  assert_output ''
}

# ---- devices -----------------------------------------------------------

@test "--device cuda without a usable GPU is exit 69 with the reason" {
  if gpu_present; then skip "a GPU is present here"; fi
  for dev in cuda cuda:0 cuda:3; do
    run -69 --separate-stderr gpu-bench --device "$dev" --quick --only gemm
    assert_output ''
    stderr_matches "^gpu-bench: error: --device $dev: "
    [[ $stderr == *"no CUDA backend"* || $stderr == *"no CUDA GPU"* ]] || fail "no reason given: $stderr"
    # A CUDA build gives the driver's or the runtime's own words too.
    [[ $stderr != *"no CUDA GPU"* || $stderr =~ \((no\ NVIDIA\ driver|cuInit|cuDeviceGetCount|cudaGetDeviceCount):\  ]] ||
      fail "no driver or runtime error: $stderr"
  done
}

# A CUDA build (build/bin is relinked when the mode changes).
cuda_build() { [ "$(cat "$ROOT/build/.cuda-mode" 2>/dev/null)" = 1 ]; }

@test "no tool links CUDA's libraries: a CUDA build keeps its kernels in a backend library loaded on use" {
  cuda_build || skip "a build without CUDA has no backend library"
  local so="$ROOT/build/lib/gridutils/libgridutils-cuda.so"
  for src in "$ROOT"/cmd/*.cc; do
    run -0 ldd "$(command -v "$(basename "$src" .cc)")"
    refute_output --regexp 'libcublas|libcudart|libnccl|libcuda\.'
  done
  run -0 ldd "$so"
  assert_output --regexp 'libcublasLt\.so'
  assert_output --regexp 'libnccl\.so'
  # Without a driver the backend is not even looked for.
  if gpu_present; then skip "a GPU is present here"; fi
  run -69 --separate-stderr env GRID_CUDA_BACKEND=/nonexistent/backend.so gpu-bench --device cuda --quick --only gemm
  stderr_has "no CUDA GPU answers on this machine (no NVIDIA driver: "
  [[ $stderr != *"cannot load the CUDA backend"* ]] || fail "the backend was looked for: $stderr"
  run -0 --separate-stderr env GRID_CUDA_BACKEND=/nonexistent/backend.so gpu-bench --device auto --quick --only gemm
  stderr_has ""
}

@test "a driver that reports a GPU whose backend cannot be used: cuda is 69 with the reason, auto says it runs on the CPU" {
  cuda_build || skip "a build without CUDA has no backend library"
  if gpu_present; then skip "a GPU is present here"; fi
  # A stand-in NVIDIA driver that reports one GPU and can do nothing else.
  mkdir driver
  printf '%s\n' 'int cuInit(unsigned f) { (void)f; return 0; }' \
    'int cuDeviceGetCount(int* n) { *n = 1; return 0; }' >driver/stub.c
  ${CC:-cc} -shared -fPIC -o driver/libcuda.so.1 driver/stub.c
  export LD_LIBRARY_PATH=$PWD/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  run -69 --separate-stderr env GRID_CUDA_BACKEND=/nonexistent/backend.so gpu-bench --device cuda --quick --only gemm
  assert_output ''
  stderr_has "gpu-bench: error: --device cuda: the NVIDIA driver reports 1 GPU(s), but none is usable: cannot load the CUDA backend: /nonexistent/backend.so: "
  run -0 --separate-stderr env GRID_CUDA_BACKEND=/nonexistent/backend.so gpu-bench --device auto --quick --only gemm
  stderr_has "gpu-bench: running on the CPU: the NVIDIA driver reports 1 GPU(s), but none is usable: cannot load the CUDA backend"
  assert_jq .device cpu
  # The real backend loads; then the CUDA runtime finds no real driver behind the stand-in.
  run -69 --separate-stderr gpu-bench --device cuda --quick --only gemm
  stderr_has "the NVIDIA driver reports 1 GPU(s), but none is usable: cudaGetDeviceCount: "
  # Another build's backend is refused, not called.
  run -69 --separate-stderr env GRID_CUDA_BACKEND=libsqlite3.so.0 gpu-bench --device cuda --quick --only gemm
  stderr_has "the CUDA backend libsqlite3.so.0 is not of this build of gridutils: "
  stderr_has "undefined symbol: grid_cuda_backend"
}

@test "a --device that is not auto, cpu, cuda or cuda:N is a usage error (64)" {
  for dev in bogus CPU "" gpu cuda:x cuda:-1 cuda:1024 cuda0; do
    run -64 --separate-stderr gpu-bench --device "$dev" --quick --only pcie
    assert_output ''
    stderr_has "--device $dev"
  done
}

@test "--device cuda: with an empty N is a usage error (64), not a request for GPU 0" {
  run -64 --separate-stderr gpu-bench --device cuda: --quick --only pcie
  assert_output ''
}

@test "--device auto falls back to the CPU without a GPU" {
  if gpu_present; then skip "a GPU is present here"; fi
  run -0 --separate-stderr gpu-bench --device auto --quick --only gemm
  assert_jq .device cpu
  assert_jq '.gemm.exact_f32.best.tflops.median > 0' true
  run -0 --separate-stderr gpu-bench --quick --only pcie
  assert_jq .device cpu
}

# ---- challenges --------------------------------------------------------

@test "--challenge FILE gives a signed answer that verifies" {
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge req42.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .kind challenge
  assert_jq .v 1
  assert_jq .request "$(grid-key id req42.jsonl | jq -r .id)"
  assert_jq '[.seed, .n, .dtype, .deadline_ms] | tostring' '[42,64,"f32",60000]'
  assert_jq .answer.device cpu
  assert_jq '.answer.row_leaves | length' 64
  assert_jq '.answer.row_leaves | map(test("^[0-9a-f]{64}$")) | all' true
  assert_jq '.answer.row_root | test("^sha256:[0-9a-f]{64}$")' true
  assert_jq '.answer.c_sha256 | test("^sha256:[0-9a-f]{64}$")' true
  assert_jq '.answer.elapsed_ms >= 0 and .answer.tflops >= 0' true
  assert_jq '.answer.within_deadline == (.answer.elapsed_ms <= .deadline_ms)' true
  assert_jq .sig.by "$PUB1"
  printf '%s\n' "$output" >answer.jsonl
  run -0 --separate-stderr grid-key verify --by "$PUB1" answer.jsonl
  assert_jq .ok true
}

@test "--challenge - reads stdin and gives the same answer hashes" {
  from_file=$(gpu-bench --device cpu --key key1 --challenge req42.jsonl | answer_hashes)
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge - <req42.jsonl
  assert_equal "$(answer_hashes <<<"$output")" "$from_file"
  assert_jq .request "$(grid-key id req42.jsonl | jq -r .id)"
  grid-key verify <<<"$output" >/dev/null
}

@test "challenge answers are bit-reproducible: across runs and thread counts" {
  first=$(gpu-bench --device cpu --key key1 --challenge req42.jsonl | answer_hashes)
  again=$(gpu-bench --device cpu --key key1 --challenge req42.jsonl | answer_hashes)
  assert_equal "$again" "$first"
  one=$(gpu-bench --device cpu --key key1 --threads 1 --challenge req42.jsonl | answer_hashes)
  two=$(gpu-bench --device cpu --key key1 --threads 2 --challenge req42.jsonl | answer_hashes)
  assert_equal "$one" "$first"
  assert_equal "$two" "$first"
  # Big enough to be split over threads, with edge tiles and two K blocks.
  printf '%s\n' '{"kind":"challenge","v":1,"seed":7,"n":300,"dtype":"f32","deadline_ms":60000}' >big.jsonl
  one=$(gpu-bench --device cpu --key key1 --threads 1 --challenge big.jsonl | answer_hashes)
  two=$(gpu-bench --device cpu --key key1 --threads 2 --challenge big.jsonl | answer_hashes)
  assert_equal "$(jq '.row_leaves | length' <<<"$one")" 300
  assert_equal "$two" "$one"
}

@test "a different seed gives different hashes" {
  printf '%s\n' "$REQ43" >req43.jsonl
  a=$(gpu-bench --device cpu --key key1 --challenge req42.jsonl)
  b=$(gpu-bench --device cpu --key key1 --challenge req43.jsonl)
  refute [ "$(jq -r .answer.c_sha256 <<<"$a")" = "$(jq -r .answer.c_sha256 <<<"$b")" ]
  refute [ "$(jq -r .answer.row_root <<<"$a")" = "$(jq -r .answer.row_root <<<"$b")" ]
  assert_equal "$(jq -n --argjson a "$a" --argjson b "$b" \
    '[$a.answer.row_leaves, $b.answer.row_leaves] | transpose | map(.[0] == .[1]) | any')" false
  refute [ "$(jq -r .request <<<"$a")" = "$(jq -r .request <<<"$b")" ]
}

@test "the answer matches an independent Python recomputation of the documented definition" {
  for case in "42 4" "9007199254740992 17"; do
    set -- $case
    printf '{"kind":"challenge","v":1,"seed":%s,"n":%s,"dtype":"f32","deadline_ms":60000}\n' "$1" "$2" >tiny.jsonl
    run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge tiny.jsonl
    got=$(answer_hashes <<<"$output")
    want=$(independent_answer "$1" "$2") || fail "the Python reimplementation failed"
    assert_equal "$got" "$want"
  done
  # The example in the man page.
  run -0 independent_answer 42 4
  assert_jq .c_sha256 sha256:d266654f1c5217f64533332637ce9246b07b137b44972507850f650960434bd5
  assert_jq .row_root sha256:b83232b93634e595121cd33b00a14ce8517c1ceb93df2d4b20f22d49144ed003
}

@test "several requests get one answer each, in order; an empty input gets none" {
  printf '%s\n' "$REQ42" '' "$REQ43" >two.jsonl
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge two.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -s -c 'map(.seed)' <<<"$output")" '[42,43]'
  : >empty.jsonl
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge empty.jsonl
  assert_output ''
  assert_equal "$stderr" ''
}

@test "an answer times up to five runs and reports the fastest; --challenge-runs sets how many" {
  printf '%s\n' '{"kind":"challenge","v":1,"seed":5,"n":200,"dtype":"f32","deadline_ms":600000}' >r200.jsonl
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge r200.jsonl
  assert_jq '.answer.runs_ms | length' 5
  assert_jq '.answer.runs_ms | map(. > 0) | all' true
  assert_jq '.answer.elapsed_ms == (.answer.runs_ms | min)' true
  assert_jq '(.answer.tflops - 2 * 200 * 200 * 200 / (.answer.elapsed_ms / 1000) / 1e12) | fabs < 1e-9' true
  assert_jq '.answer.within_deadline' true
  hashes=$(answer_hashes <<<"$output")
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge-runs 3 --challenge r200.jsonl
  assert_jq '.answer.runs_ms | length' 3
  assert_equal "$(answer_hashes <<<"$output")" "$hashes"
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge-runs 1 --challenge r200.jsonl
  assert_jq '.answer.runs_ms | length' 1
  assert_jq '.answer.elapsed_ms == .answer.runs_ms[0]' true
  for bad in 0 101 x; do
    run -64 --separate-stderr gpu-bench --device cpu --key key1 --challenge-runs "$bad" --challenge r200.jsonl
    stderr_has --challenge-runs
  done
}

@test "a CPU answer is timed on-core: two busy processes beside it stretch its wall time, not its runs" {
  # n = 1024: a run takes about 9 ms of each core, several of the
  # scheduler's slices, so every run shares its cores with the spinners.
  # At n = 512 a run (about 1 ms) fits inside one slice: now and then the
  # two GEMM threads held both cores for a whole run, its wall time was its
  # on-core time, and the last assertion failed on a correct answer.
  printf '%s\n' '{"kind":"challenge","v":1,"seed":5,"n":1024,"dtype":"f32","deadline_ms":600000}' >r1024.jsonl
  # Two spinners on a 2-core machine: the GEMM's two threads get about half
  # of each core. They stop by themselves within 60 s if this test dies.
  spinners=()
  for _ in 1 2; do
    timeout 60 sh -c 'while :; do :; done' &
    spinners+=($!)
  done
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --threads 2 --challenge r1024.jsonl
  kill "${spinners[@]}" 2>/dev/null || true
  wait "${spinners[@]}" 2>/dev/null || true
  # Shown only when the test fails: the times that decided it.
  jq -c '.answer | del(.row_leaves)' <<<"$output"
  assert_jq '.answer.timing' on-core
  assert_jq '.answer.runs_wall_ms | length' 5
  # On-core never exceeds the wall time, and under the spinners the fastest
  # run's wall time is well past its on-core time.
  assert_jq '[.answer.runs_ms, .answer.runs_wall_ms] | transpose | map(.[0] <= .[1]) | all' true
  assert_jq '(.answer.runs_wall_ms | min) > 1.3 * .answer.elapsed_ms' true
}

@test "runs stop once their total passes the deadline: a long challenge costs about one deadline" {
  # 2 GFLOP cannot take under 1 ms on a CPU: the first run is past the
  # deadline, so it is the only one.
  printf '%s\n' '{"kind":"challenge","v":1,"seed":5,"n":1024,"dtype":"f32","deadline_ms":1}' >tight.jsonl
  run -0 --separate-stderr gpu-bench --device cpu --key key1 --challenge tight.jsonl
  assert_jq '.answer.runs_ms | length' 1
  assert_jq '.answer.within_deadline' false
}

@test "a challenge without a key is a usage error (64)" {
  run -64 --separate-stderr gpu-bench --device cpu --challenge req42.jsonl
  assert_output ''
  stderr_has --key
  stderr_has GRID_KEY
  GRID_KEY=key2 run -0 --separate-stderr gpu-bench --device cpu --challenge req42.jsonl
  assert_jq .sig.by "$PUB2"
}

@test "bad challenge input is exit 65 naming the line and field" {
  bad() {
    printf '%s\n' "$REQ42" "$1" >bad.jsonl
    run -65 --separate-stderr gpu-bench --device cpu --key key1 --challenge bad.jsonl
    assert_equal "${#lines[@]}" 1
    assert_jq .seed 42
    stderr_matches "^gpu-bench: error: .*\\(input line 2 of bad\\.jsonl, field \\$2\\)\$"
  }
  bad '{"kind":"challenge","v":1,"n":64,"dtype":"f32","deadline_ms":60000}' .seed
  bad '{"kind":"challenge","v":1,"seed":"42","n":64,"dtype":"f32","deadline_ms":60000}' .seed
  bad '{"kind":"challenge","v":1,"seed":-1,"n":64,"dtype":"f32","deadline_ms":60000}' .seed
  bad '{"kind":"challenge","v":1,"seed":42,"n":0,"dtype":"f32","deadline_ms":60000}' .n
  bad '{"kind":"challenge","v":1,"seed":42,"n":20000,"dtype":"f32","deadline_ms":60000}' .n
  bad '{"kind":"challenge","v":1,"seed":42,"n":6.5,"dtype":"f32","deadline_ms":60000}' .n
  bad '{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"bf16","deadline_ms":60000}' .dtype
  bad '{"kind":"challenge","v":1,"seed":42,"n":64,"deadline_ms":60000}' .dtype
  bad '{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"f32"}' .deadline_ms
  bad '{"kind":"challenge","v":1,"seed":42,"n":64,"dtype":"f32","deadline_ms":0}' .deadline_ms
  bad '{"kind":"profile","v":1}' .kind
  bad '{"v":1,"seed":42}' .kind
  bad '{"kind":"challenge","v":2,"seed":42,"n":64,"dtype":"f32","deadline_ms":60000}' .v
  # A challenge answer fed back as a request.
  bad "$(gpu-bench --device cpu --key key1 --challenge req42.jsonl)" .answer
  # Not JSON at all.
  printf '%s\n' "$REQ42" 'not json' >bad.jsonl
  run -65 --separate-stderr gpu-bench --device cpu --key key1 --challenge bad.jsonl
  assert_equal "${#lines[@]}" 1
  stderr_matches '^gpu-bench: error: malformed JSON.*\(input line 2 of bad\.jsonl\)$'
  run -65 --separate-stderr gpu-bench --device cpu --key key1 --challenge - <<<'{"kind":"challenge"'
  assert_output ''
  stderr_matches '\(input line 1\)$'
}

@test "a missing challenge file is exit 66, naming it" {
  run -66 --separate-stderr gpu-bench --device cpu --key key1 --challenge no-such.jsonl
  assert_output ''
  stderr_matches '^gpu-bench: error: .*no-such\.jsonl'
}

@test "--challenge with an empty file name is an error, not a profile run" {
  run --separate-stderr gpu-bench --device cpu --quick --only pcie --key key1 --challenge ''
  [[ $status -eq 64 || $status -eq 66 ]] || fail "exit $status, want 64 or 66; output: $output"
  assert_output ''
}

@test "--keep-going answers the good requests, reports the bad, exits 65" {
  printf '%s\n' '{"kind":"challenge","v":1,"seed":42,"n":0,"dtype":"f32","deadline_ms":60000}' "$REQ42" >mixed.jsonl
  run -65 --separate-stderr gpu-bench --device cpu --key key1 --keep-going --challenge mixed.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .seed 42
  assert_jq .request "$(grid-key id <<<"$REQ42" | jq -r .id)"
  grid-key verify <<<"$output" >/dev/null
  stderr_has "input line 1 of mixed.jsonl, field .n"
  stderr_has "1 bad input line(s)"
  # Without --keep-going the first bad line ends the run.
  run -65 --separate-stderr gpu-bench --device cpu --key key1 --challenge mixed.jsonl
  assert_output ''
}

@test "a closed stdout ends a challenge run quietly with 0 (EPIPE)" {
  run -0 --separate-stderr bash -c '
    yes "$1" | head -n 3000 | gpu-bench --device cpu --key key1 --challenge - 2>err | head -1
    echo "status ${PIPESTATUS[2]}"' _ '{"kind":"challenge","v":1,"seed":1,"n":2,"dtype":"f32","deadline_ms":1000}'
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .n <<<"${lines[0]}")" 2
  assert_line -n 1 "status 0"
  assert_equal "$(cat err)" ''
}

# ---- completion --------------------------------------------------------

@test "bash completion offers devices, sections, formats and flags" {
  complete_words() { bash_complete gpu-bench "$@"; }
  run -0 complete_words gpu-bench --device ''
  assert_line auto
  assert_line cpu
  assert_line cuda
  assert_line cuda:0
  run -0 complete_words gpu-bench --only ''
  assert_output "$(printf '%s\n' gemm mem pcie nccl kinds render)"
  run -0 complete_words gpu-bench --only gemm,p
  assert_output gemm,pcie
  run -0 complete_words gpu-bench --format ''
  assert_output "$(printf '%s\n' json table)"
  run -0 complete_words gpu-bench --challenge-
  assert_output --challenge-runs
  run -0 complete_words gpu-bench --ch
  assert_output "$(printf '%s\n' --challenge --challenge-runs)"
  : >req.jsonl
  run -0 complete_words gpu-bench --challenge req
  assert_line req.jsonl
  assert_line req42.jsonl
}

@test "--challenge URL: --retries N transient failures in a row before 75; out of range is 64" {
  write_key key "$SEED1"
  dead=$(dead_url)
  run -75 --separate-stderr gpu-bench --key key --challenge "$dead/c.jsonl" --retries 0
  assert_output ''
  stderr_matches "^gpu-bench: error: cannot fetch $dead/c.jsonl: .*\(gave up after 1 attempt\)\$"
  run -75 --separate-stderr gpu-bench --key key --challenge "$dead/c.jsonl" --retries 1
  stderr_matches "\(gave up after 2 attempts\)\$"
  run -64 --separate-stderr gpu-bench --key key --challenge "$dead/c.jsonl" --retries 1001
  assert_output ''
  stderr_has "--retries"
}
