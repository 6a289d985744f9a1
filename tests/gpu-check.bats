#!/usr/bin/env bats
# scripts/gpu-check, the one run of every GPU check on a lent GPU machine:
# its dry run here (a kit of this build, job-run on the CPU with its
# results named as a GPU's job-run names them), and its judging
# (scripts/gpu-check-results) on outputs a GPU machine would print.

bats_require_minimum_version 1.5.0
load test_helper

cuda_build() { [ "$(cat "$ROOT/build/.cuda-mode" 2>/dev/null)" = 1 ]; }
gpu_present() { command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; }

setup_file() {
  # One kit for the file (about 20 s when the build is up to date).
  if cuda_build; then
    "$ROOT/scripts/gpu-kit" "$BATS_FILE_TMPDIR/kit" >"$BATS_FILE_TMPDIR/kit.log" 2>&1 || true
  fi
}

setup() {
  common_setup
  RESULTS=$ROOT/scripts/gpu-check-results
  export GPU_CHECK_KIT=$BATS_FILE_TMPDIR/kit/kit.tar.gz
}

need_kit() {
  cuda_build || skip "the kit needs a CUDA=1 build (nvcc)"
  [ -f "$GPU_CHECK_KIT" ] || fail "scripts/gpu-kit failed: $(tail -5 "$BATS_FILE_TMPDIR/kit.log")"
}

# row VERDICT NAME: the summary line of that check has that verdict.
row() {
  grep -E "^$1 +$2" out/summary.txt >/dev/null || fail "no '$1 $2' row in: $(cat out/summary.txt)"
}

@test "dry run: job-run's results named cuda:0 pass the GPU comparison; GPU checks that no GPU answered fail" {
  need_kit
  if gpu_present; then skip "a GPU is present here: its checks would pass"; fi
  GPU_CHECK_DRY_RUN=cuda:0 run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 1 ] || fail "exit $status: $output $stderr"
  row PASS "job-run cuda: train example roots"
  row PASS "job-run cuda: sweep roots"
  row PASS "job-run cuda: gemm C hash and row root"
  row PASS "job-run cuda on 2 ranks: exact roots, fast loss"
  # On the CPU the sandbox has no GPU: the program fails, and so the check.
  row FAIL "exec --device cuda: .*exit 1: exec --device cuda: failed exit"
  row FAIL "gpu_tests .*it skipped: no GPU answered it \(no usable CUDA GPU"
  row FAIL "gpu_gemm bench .*it skipped: no GPU answered it"
  grep -q ' on cuda:0$' out/gpu-check.log || fail "no result named cuda:0 in the log"
  # One table, on stdout and in summary.txt, with the ratios.
  [ "$output" = "$(cat out/summary.txt)" ]
  assert_line --partial "exact CUDA GEMM / cuBLAS FP32"
  assert_line --partial "cuBLAS BF16 / PyTorch BF16, 8192^3"
  assert_line --regexp '^4 passed, [0-9]+ failed, 0 skipped$'
}

@test "dry run: any cuda:N is of class cuda; a result on another class fails, saying so" {
  need_kit
  GPU_CHECK_DRY_RUN=cuda:3 GPU_CHECK_ONLY=job-run run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 0 ] || fail "exit $status: $(cat out/summary.txt) $(cat out/gpu-check.log)"
  row PASS "job-run cuda: gemm C hash and row root"
  GPU_CHECK_DRY_RUN=cpu GPU_CHECK_ONLY='job-run.*gemm' run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 1 ]
  row FAIL "job-run cuda: gemm C hash and row root"
  grep -q "on cpu (NOT a cuda device, which it was asked for)" out/gpu-check.log || fail "$(cat out/gpu-check.log)"
}

@test "dry run: a C hash other than the kit's fails the comparison" {
  need_kit
  mkdir kit && tar -xzf "$GPU_CHECK_KIT" -C kit
  sed -i 's/"c_sha256":"sha256:[0-9a-f]/&0/' kit/expected/gemm.cpu.jsonl
  tar -czf kit.tar.gz -C kit .
  GPU_CHECK_KIT=$PWD/kit.tar.gz GPU_CHECK_DRY_RUN=cuda:0 GPU_CHECK_ONLY='job-run.*gemm' run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 1 ]
  row FAIL "job-run cuda: gemm C hash and row root"
  grep -q "^DIFFERENT " out/gpu-check.log || fail "$(cat out/gpu-check.log)"
}

@test "Python steps keep the machine's LD_LIBRARY_PATH, without the kit's libraries" {
  need_kit
  # A python3 that reports the path it was given when it runs a script from
  # stdin (the PyTorch step), and is the real one otherwise.
  mkdir fakebin
  cat >fakebin/python3 <<EOF
#!/bin/sh
if [ "\$1" = - ]; then echo "python saw LD_LIBRARY_PATH=\${LD_LIBRARY_PATH-(unset)}"; exit 0; fi
exec $(command -v python3) "\$@"
EOF
  chmod +x fakebin/python3
  PATH=$PWD/fakebin:$PATH LD_LIBRARY_PATH=/machine/cuda/lib GPU_CHECK_DRY_RUN=cuda:0 GPU_CHECK_ONLY=PyTorch \
    run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 0 ] || fail "exit $status: $(cat out/gpu-check.log)"
  grep -qx "python saw LD_LIBRARY_PATH=/machine/cuda/lib" out/gpu-check.log || fail "$(cat out/gpu-check.log)"
  PATH=$PWD/fakebin:$PATH GPU_CHECK_DRY_RUN=cuda:0 GPU_CHECK_ONLY=PyTorch \
    run --separate-stderr env -u LD_LIBRARY_PATH "$ROOT/scripts/gpu-check" out
  grep -qx "python saw LD_LIBRARY_PATH=(unset)" out/gpu-check.log || fail "$(cat out/gpu-check.log)"
}

@test "checks past the time budget are not run, and fail" {
  need_kit
  GPU_CHECK_BUDGET_S=0 GPU_CHECK_DRY_RUN=cuda:0 GPU_CHECK_ONLY=job-run run --separate-stderr "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 1 ]
  row FAIL "job-run cuda: train example roots .*not run: the 0 s budget was spent"
}

@test "without a GPU and not a dry run, it skips (exit 77)" {
  need_kit
  if gpu_present; then skip "a GPU is present here"; fi
  run --separate-stderr env -u GPU_CHECK_DRY_RUN "$ROOT/scripts/gpu-check" out
  [ "$status" -eq 77 ]
  assert_output "SKIP no GPU answers here: nothing to check"
}

@test "judging: fast training across ranks passes near the CPU's final loss, fails far from it or off the device class" {
  result() { jq -nc --arg t "$1" --argjson l "$2" --arg d "$3" '{kind: "result", task: $t, train: {final: {loss: $l}}, header: {device: $d}}'; }
  result sha256:aa 0.5 cpu >cpu.jsonl
  result sha256:aa 0.50049 cuda:1 >near.jsonl
  run -0 "$RESULTS" near-loss cpu.jsonl near.jsonl cuda
  assert_output "near sha256:aa cpu loss 0.5 gpu loss 0.50049 on cuda:1"
  result sha256:aa 0.5006 cuda:0 >far.jsonl
  run -1 "$RESULTS" near-loss cpu.jsonl far.jsonl cuda
  assert_output --partial "FAR sha256:aa"
  run -1 "$RESULTS" near-loss cpu.jsonl cpu.jsonl cuda
  assert_output --partial "(NOT a cuda device, which it was asked for)"
}

@test "judging: a flavour skipped for want of support is a skip with its reason; no GPU is a no-GPU skip" {
  cat >gtest.out <<'EOF'
[ RUN      ] AllFlavours/GpuGemmFlavour.SampledEntriesMatchFloat64Reference/fp8
tests/gpu/gpu_bench_test.cc:101: Skipped
cuda_gemm_run fp8 512x512x512: cuBLASLt offers no algorithm for this type on device 0

[  SKIPPED ] AllFlavours/GpuGemmFlavour.SampledEntriesMatchFloat64Reference/fp8 (3 ms)
[ RUN      ] ExactGpu.GemmMatchesCpuBitForBit
tests/gpu/exact_gemm_gpu_test.cc:29: Skipped
no usable CUDA GPU: cudaGetDeviceCount: no CUDA-capable device is detected (error 100)

[  SKIPPED ] ExactGpu.GemmMatchesCpuBitForBit (0 ms)
[  SKIPPED ] 2 tests, listed below:
[  SKIPPED ] AllFlavours/GpuGemmFlavour.SampledEntriesMatchFloat64Reference/fp8
[  SKIPPED ] ExactGpu.GemmMatchesCpuBitForBit
EOF
  run --separate-stderr "$RESULTS" skips gtest.out
  assert_success
  assert_equal "${#lines[@]}" 2
  assert_line --index 0 "$(printf 'skip\tAllFlavours/GpuGemmFlavour.SampledEntriesMatchFloat64Reference/fp8\tcuda_gemm_run fp8 512x512x512: cuBLASLt offers no algorithm for this type on device 0')"
  assert_line --index 1 --partial "$(printf 'nogpu\tExactGpu.GemmMatchesCpuBitForBit\tno usable CUDA GPU: ')"
}

@test "judging: a profile's unsupported flavour is skipped; a failed one or a faulty profile fails" {
  cat >profile.json <<'EOF'
{"kind":"profile","profile":{"faulty":false,"gemm":{"fast_bf16":{"best":{}},"fast_fp8":{"skipped":"failed: cuda_gemm_run fp8 8192x8192x8192: cuBLASLt offers no algorithm for this type on device 0"}},"nccl":{"skipped":"all-reduce needs two or more GPUs; this machine has 1"}}}
EOF
  run --separate-stderr "$RESULTS" profile profile.json
  assert_success
  assert_line "skipped: gemm fast_fp8: failed: cuda_gemm_run fp8 8192x8192x8192: cuBLASLt offers no algorithm for this type on device 0"
  assert_line "skipped: nccl: all-reduce needs two or more GPUs; this machine has 1"
  sed -i 's/offers no algorithm for this type/an illegal memory access was encountered/' profile.json
  run --separate-stderr "$RESULTS" profile profile.json
  assert_failure 1
  assert_line --partial "failed: gemm fast_fp8: failed: cuda_gemm_run fp8"
  echo '{"faulty":true,"faults":["gemm fast_f32 at 1024^3 gave wrong entries"],"gemm":{}}' >profile.json
  run --separate-stderr "$RESULTS" profile profile.json
  assert_failure 1
  assert_line "FAULTY: gemm fast_f32 at 1024^3 gave wrong entries"
}

@test "judging: the report lists each skipped part under its check, and the ratios against their targets" {
  printf 'check\tPASS\tgpu_tests (exact GEMM/ops GPU == CPU)\t31.2\t\n' >rows.tsv
  printf 'part\tSKIP\tAllFlavours/GpuGemmFlavour.SampledEntriesMatchFloat64Reference/fp8\tcuBLASLt offers no algorithm\n' >>rows.tsv
  printf 'check\tSKIP\tsomething that skipped itself\t0.1\t\n' >>rows.tsv
  cat >log <<'EOF'
n          exact TF/s   cuBLAS f32    ratio
2048            20.00        40.00    0.500
4096            29.00        50.00    0.580
8192            24.00        50.00    0.480
exact CUDA / cuBLAS FP32 (TF32 off) at 4096^3: 0.580 (target >= 0.6)

bf16 8192^3: 700.0 TFLOP/s; best of sweep 710.0; ratio 0.986
torch bf16 8192^3: median 720.0 TFLOP/s, best 730.0
  exact CUDA / fast CUDA  0.612   (target >= 0.5; 61.2 vs 100.0 steps/s)
EOF
  run --separate-stderr "$RESULTS" report rows.tsv log
  assert_success
  assert_line --regexp '^PASS +gpu_tests \(exact GEMM/ops GPU == CPU\) +31\.2'
  assert_line --regexp '^skip +AllFlavours/GpuGemmFlavour\.SampledEntriesMatchFloat64Reference/fp8 +cuBLASLt offers no algorithm$'
  assert_line --regexp 'exact CUDA GEMM / cuBLAS FP32, 2048\^3 +0\.500 +>= 0\.50$'
  assert_line --regexp 'exact CUDA GEMM / cuBLAS FP32, 4096\^3 +0\.580 +>= 0\.60  BELOW$'
  assert_line --regexp 'exact CUDA GEMM / cuBLAS FP32, 8192\^3 +0\.480 +>= 0\.50  BELOW$'
  assert_line --regexp 'cuBLAS BF16 / PyTorch BF16, 8192\^3 +0\.972 +>= 0\.95$'
  assert_line --regexp 'exact CUDA / fast CUDA training steps/s +0\.612 +>= 0\.50$'
  assert_line "1 passed, 0 failed, 1 skipped"
}
