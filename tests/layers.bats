#!/usr/bin/env bats
# lib/ is in layers (core, compute and cuda, jobs, measure, proof, market,
# ledger): scripts/check-layers fails when an include goes up a layer or
# names no folder. It holds for the tree, and it can fail.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
}

# copy_lib: the tree's lib/ and the check, in a folder of this test's own.
copy_lib() {
  mkdir -p tree/scripts
  cp -r "$ROOT/lib" tree/lib
  cp "$ROOT/scripts/check-layers" tree/scripts/
}

@test "no library file includes a header of a higher layer" {
  run --separate-stderr "$ROOT/scripts/check-layers"
  [ "$status" -eq 0 ] || fail "check-layers failed: $stderr"
}

@test "an include that goes up a layer fails the check, naming the file and line" {
  copy_lib
  printf '#include "ledger/ledger_db.h"\n' >>tree/lib/core/error.h
  run --separate-stderr tree/scripts/check-layers tree
  [ "$status" -eq 1 ]
  local line
  line=$(wc -l <tree/lib/core/error.h)
  stderr_has "lib/core/error.h:$line: core includes \"ledger/ledger_db.h\""
}

@test "an include of a lower or equal layer passes; cuda stands beside compute" {
  copy_lib
  printf '#include "core/error.h"\n' >>tree/lib/ledger/ledger_db.h
  printf '#include "market/need_expr.h"\n' >>tree/lib/ledger/ledger_db.cc
  printf '#include "compute/exact_math.h"\n' >>tree/lib/cuda/cuda_check.h
  run --separate-stderr tree/scripts/check-layers tree
  [ "$status" -eq 0 ] || fail "check-layers failed: $stderr"
  printf '#include "cuda/cuda_check.h"\n' >>tree/lib/core/file_io.cc
  run --separate-stderr tree/scripts/check-layers tree
  [ "$status" -eq 1 ]
  stderr_has "core includes \"cuda/cuda_check.h\""
}

@test "a library include without its folder, or a folder that is no layer, fails" {
  copy_lib
  printf '#include "error.h"\n' >>tree/lib/jobs/job_spec.cc
  mkdir tree/lib/util
  run --separate-stderr tree/scripts/check-layers tree
  [ "$status" -eq 1 ]
  stderr_has "lib/jobs/job_spec.cc"
  stderr_has "include \"error.h\" names no folder"
  stderr_has "lib/util is no layer"
}
