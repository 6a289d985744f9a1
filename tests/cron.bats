#!/usr/bin/env bats
# examples/cron/provider.sh: the provider's cron steps, each under its own
# flock, so two runs of one step never overlap: the late one exits 75.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
  SCRIPT=$ROOT/examples/cron/provider.sh
  (umask 077 && grid-key gen >provider.key)
  export GRID_KEY=$PWD/provider.key GRID_STATE=$PWD/state GRID_BENCH_FLAGS="--quick --device cpu"
}

# held_by_other LOCK: true while another process holds LOCK.
held_by_other() {
  [ -e "$1" ] && ! flock -n "$1" true
}

@test "the bench step writes a signed profile; stdout stays empty" {
  run --separate-stderr "$SCRIPT" bench
  assert_success
  assert_output ""
  stderr_has "gridutils-provider: bench: profile sha256:"
  assert_equal "$(jq -r .kind state/profile.json)" profile
  run grid-key verify state/profile.json
  assert_success
  assert_file_not_exists state/profile.json.new
}

@test "two bench runs at once: the second exits 75 at once, the first finishes" {
  "$SCRIPT" bench 2>first.err &
  first=$!
  for _ in $(seq 400); do
    held_by_other state/bench.lock && break
    sleep 0.01
  done
  held_by_other state/bench.lock || skip "the first run ended before it could be seen holding the lock"
  run --separate-stderr "$SCRIPT" bench
  assert_equal "$status" 75
  stderr_has "another bench run holds"
  wait "$first"
  assert_equal "$(jq -r .kind state/profile.json)" profile
}

@test "a lock held by anyone else makes every step exit 75 without touching its files" {
  mkdir -p state
  echo keep >state/profile.json
  # The holder is the sleep itself (exec), so killing it frees the lock.
  (exec 8>state/bench.lock && flock 8 && exec sleep 30) &
  holder=$!
  until held_by_other state/bench.lock; do sleep 0.01; done
  run --separate-stderr "$SCRIPT" bench
  assert_equal "$status" 75
  assert_equal "$(cat state/profile.json)" keep
  kill "$holder"
  wait "$holder" || true
  # The lock dies with its holder: the next tick runs.
  run --separate-stderr "$SCRIPT" bench
  assert_success
}

@test "bid before any bench waits for the profile (75); unknown steps are usage errors (64)" {
  run --separate-stderr "$SCRIPT" bid
  assert_equal "$status" 75
  stderr_has "no profile yet"
  run --separate-stderr "$SCRIPT" dance
  assert_equal "$status" 64
  run --separate-stderr "$SCRIPT"
  assert_equal "$status" 64
  unset GRID_KEY
  run --separate-stderr "$SCRIPT" bench
  assert_failure
  stderr_has "GRID_KEY"
}

@test "a failing bench leaves the last good profile in place" {
  run "$SCRIPT" bench
  assert_success
  good=$(jq -r .id state/profile.json)
  GRID_BENCH_FLAGS="--device nosuchdevice" run --separate-stderr "$SCRIPT" bench
  assert_failure
  assert_equal "$(jq -r .id state/profile.json)" "$good"
}
