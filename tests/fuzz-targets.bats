#!/usr/bin/env bats
# The libFuzzer targets (tests/fuzz/targets, one per parser a stranger's
# bytes reach; built under ASan and UBSan by make fuzz-targets, which make
# test and make fuzz run first). Each test
# first runs every input in tests/fuzz/regressions/TARGET (the bugs found
# so far, kept as test cases forever), then fuzzes FUZZ_SECONDS (10 in
# make test, longer in make fuzz) from a copy of tests/fuzz/corpus/TARGET.
# A crash, a sanitizer report, a broken property or a leak fails the test
# and leaves the input in the test's folder, named in the failure: add it
# to tests/fuzz/regressions/TARGET once the bug is fixed.

bats_require_minimum_version 1.5.0
load test_helper

FUZZ_SECONDS=${FUZZ_SECONDS:-10}

setup() {
  common_setup
}

# fuzz TARGET: regressions, then a bounded fuzzing run.
fuzz() {
  local bin="$ROOT/build/fuzz/bin/$1" regressions=("$ROOT/tests/fuzz/regressions/$1"/*)
  [ -x "$bin" ] || fail "$bin is missing: run make fuzz-targets"
  if [ -e "${regressions[0]}" ]; then
    run "$bin" -rss_limit_mb=2048 "${regressions[@]}"
    [ "$status" -eq 0 ] || fail "$(printf 'regression input fails:\n%s' "$(tail -40 <<<"$output")")"
  fi
  mkdir corpus
  cp "$ROOT/tests/fuzz/corpus/$1"/* corpus/
  run "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$PWD/" corpus
  if [ "$status" -ne 0 ]; then
    fail "$(printf '%s\ninput kept: %s' "$(tail -40 <<<"$output")" "$(ls "$PWD"/crash-* "$PWD"/leak-* "$PWD"/timeout-* "$PWD"/oom-* 2>/dev/null)")"
  fi
  grep -q '^stat::number_of_executed_units' <<<"$output" || fail "the fuzzer did not run: $output"
}

@test "fuzz: JSON Lines reader (LineReader, parse_json_text)" {
  fuzz jsonl
}

@test "fuzz: RFC 8785 canonical form parses back equal and is a fixed point" {
  fuzz canonical
}

@test "fuzz: message envelope, id and signature checks" {
  fuzz message
}

@test "fuzz: Merkle inclusion and consistency proofs" {
  fuzz merkle
}

@test "fuzz: --need expressions" {
  fuzz need_expr
}

@test "fuzz: .npy reader" {
  fuzz npy
}

@test "fuzz: CSV reader" {
  fuzz csv
}

@test "fuzz: job specs" {
  fuzz job_spec
}

@test "fuzz: price script output" {
  fuzz price_script
}

@test "fuzz: WebDAV PROPFIND and S3 listing XML" {
  fuzz xml_records
}
