#!/usr/bin/env bats
# examples/sweep/plot: a sweep's loss curves as a PNG, one curve per sweep
# point, titled by its parameters; the numbers drawn checked against the
# results (--data), not only that a file appeared.

bats_require_minimum_version 1.5.0
load test_helper

PLOT="$ROOT/examples/sweep/plot"

setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  write_key buyer.key "$SEED1"
  write_key provider.key "$SEED2"
  grid-key sign --key buyer.key "$ROOT/examples/jobs/train-sweep.json" | job-split >tasks.jsonl
  job-run --key provider.key --store store tasks.jsonl >results.jsonl
}

setup() {
  common_setup
  R=$BATS_FILE_TMPDIR/results.jsonl
}

# The data file read back as "BLOCK<TAB>LABEL<TAB>STEP LOSS" lines.
blocks() {
  awk '/^# / { b++; label = substr($0, 3); next } NF { printf "%d\t%s\t%s\n", b - 1, label, $0 }' "$1"
}

@test "plot: a PNG with one curve per sweep point, titled by its parameters, drawn from the results' losses" {
  run --separate-stderr "$PLOT" --data losses.dat "$R" sweep.png
  assert_success
  stderr_has "6 curves into sweep.png"
  # A PNG by its signature, not by its name.
  run od -An -tx1 -N8 sweep.png
  assert_output ' 89 50 4e 47 0d 0a 1a 0a'
  # The grid of examples/jobs/train-sweep.json, in job-split's order.
  run bash -c "awk '/^# / { print substr(\$0, 3) }' losses.dat"
  assert_output "optimizer.lr=0.003 optimizer.name=sgd
optimizer.lr=0.003 optimizer.name=adam
optimizer.lr=0.01 optimizer.name=sgd
optimizer.lr=0.01 optimizer.name=adam
optimizer.lr=0.03 optimizer.name=sgd
optimizer.lr=0.03 optimizer.name=adam"
  # Each curve is its result's .train.losses, point for point.
  expected=$(jq -r -n '[inputs] | to_entries[] | .key as $i | .value.train.losses[] | "\($i) \(.step) \(.loss)"' "$R")
  actual=$(blocks losses.dat | cut -f1,3 | tr '\t' ' ')
  assert_equal "$actual" "$expected"
  [ "$(wc -l <<<"$actual")" -eq 36 ] || fail "expected 6 curves of 6 points: $actual"
}

@test "plot: results from no sweep are titled by their task; other kinds and - for stdin are taken" {
  jq -c 'del(.train.sweep_point)' "$R" | head -2 >plain.jsonl
  echo '{"kind":"verdict","v":1}' >>plain.jsonl
  run --separate-stderr "$PLOT" --data d.dat - out.png <plain.jsonl
  assert_success
  run bash -c "awk '/^# / { print substr(\$0, 3) }' d.dat"
  assert_output "task 0
task 1"
}

@test "plot: a title with quotes is drawn, not run" {
  run --separate-stderr "$PLOT" --title "it's \"mine\"; system('touch pwned')" "$R" out.png
  assert_success
  assert_file_not_exists pwned
  assert_file_exists out.png
}

@test "plot: bad input is 65 naming the file; no train result is 65; a missing file 66; usage 64" {
  { head -1 "$R"; echo 'not json'; } >bad.jsonl
  run --separate-stderr "$PLOT" bad.jsonl out.png
  assert_failure 65
  stderr_has "plot: error: bad.jsonl:"
  stderr_has "line 2"
  assert_file_not_exists out.png
  echo '{"kind":"result","v":1,"gemm":{}}' >gemm.jsonl
  run --separate-stderr "$PLOT" gemm.jsonl out.png
  assert_failure 65
  stderr_has "no train result"
  run --separate-stderr "$PLOT" missing.jsonl out.png
  assert_failure 66
  stderr_has "missing.jsonl"
  run --separate-stderr "$PLOT" "$R"
  assert_failure 64
  run --separate-stderr "$PLOT" --colour red "$R" out.png
  assert_failure 64
  stderr_has "unknown flag --colour"
  run --separate-stderr "$PLOT" "$R" "$BATS_TEST_TMPDIR/no/such/dir/out.png"
  assert_failure 74
}

@test "plot: without gnuplot it exits 69 naming the package" {
  mkdir bin
  for t in jq mktemp rm cat sed tr grep awk head cp; do ln -s "$(command -v "$t")" "bin/$t"; done
  PATH=$PWD/bin run --separate-stderr "$PLOT" "$R" out.png
  assert_failure 69
  stderr_has "gnuplot is not installed (Debian: apt-get install gnuplot-nox)"
}
