#!/usr/bin/env bats
# The whole market, end to end (scripts/demo, what `make demo` runs): the
# outcome is read from the messages the demo leaves behind, never from
# the report it prints.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  "$ROOT/scripts/demo" "$BATS_FILE_TMPDIR/out" >report.txt 2>demo.err
}

setup() {
  common_setup
  D=$BATS_FILE_TMPDIR/out
  cd "$D" || return 1
}

# pub NAME: that participant's public key.
pub() { cat "$D/$1.pub"; }

@test "the demo ran to the end and left its report" {
  run grep -c . "$BATS_FILE_TMPDIR/report.txt"
  assert_success
  run grep 'ledger check: clean' "$BATS_FILE_TMPDIR/report.txt"
  assert_success
}

@test "every lease was won by one of the three providers, at most its order's max price" {
  run jq -s -c --arg a "$(pub alice)" --arg b "$(pub bob)" --arg m "$(pub mallory)" \
    'map(select(.provider == $a or .provider == $b or .provider == $m) and .price_micros <= .order.max_price_micros) | all' \
    sweep-leases.jsonl infer-leases.jsonl
  assert_output true
  run jq -s length sweep-leases.jsonl
  assert_output 6
  # The cheater undercut the others and won work.
  run jq -s --arg m "$(pub mallory)" 'map(select(.provider == $m)) | length' sweep-leases.jsonl
  [ "$output" -ge 1 ] || fail "mallory won no lease: $output"
}

@test "every honest result is accepted; every result of the cheater is rejected, naming the segment" {
  run jq -s -c --arg m "$(pub mallory)" '[.[] | select(.provider != $m) | .status] | unique' verdicts.jsonl infer-verdicts.jsonl
  assert_output '["accept"]'
  run jq -s -c --arg m "$(pub mallory)" '[.[] | select(.provider == $m) | .status] | unique' verdicts.jsonl
  assert_output '["reject"]'
  run jq -r --arg m "$(pub mallory)" 'select(.provider == $m) | .reason' verdicts.jsonl
  for reason in "${lines[@]}"; do
    [[ $reason =~ segment\ [0-9]+\ \(steps\ [0-9]+\.\.[0-9]+\) ]] || fail "reason does not name a segment: $reason"
  done
  # Every verdict is signed by the verifier.
  run jq -r '.sig.by' verdicts.jsonl infer-verdicts.jsonl
  for by in "${lines[@]}"; do assert_equal "$by" "$(pub verifier)"; done
}

@test "pinpoint names the honest re-run and the first wrong step: the cheater stopped after half the steps" {
  # The cheat keeps the first 50% of 150 steps, rounded down to a checkpoint
  # (every 25): steps 1..75 are real, step 76 is the first made up.
  run jq -r 'select(.status == "reject") | .checked.pinpoint.disputes[0].first_differing_step' dispute-verdicts.jsonl
  assert_output 76
  run jq -r 'select(.status == "accept") | .result' dispute-verdicts.jsonl
  assert_output "$(jq -r .id dispute-rerun.jsonl)"
}

@test "honest providers are paid their price minus the verifier fee; the cheater is slashed twice its price" {
  for p in alice bob; do
    want=$(jq -s --arg k "$(pub $p)" 'map(select(.provider == $k) | .price_micros - (.price_micros * 500 / 10000 | floor)) | add // 0' \
      sweep-leases.jsonl infer-leases.jsonl)
    got=$(jq -s --arg k "$(pub $p)" 'map(select(.type == "post" and .credit == $k) | .amount_micros) | add // 0' "statements/$p.jsonl")
    assert_equal "$got" "$want"
    [ "$got" -gt 0 ] || fail "$p was paid nothing"
  done
  want=$(jq -s --arg k "$(pub mallory)" 'map(select(.provider == $k) | 2 * .price_micros) | add' sweep-leases.jsonl)
  got=$(jq -s --arg k "$(pub mallory)" 'map(select(.type == "slash" and .debit == $k) | .amount_micros) | add' statements/mallory.jsonl)
  assert_equal "$got" "$want"
  run jq -s --arg k "$(pub mallory)" 'map(select(.type == "post" and .credit == $k)) | length' statements/mallory.jsonl
  assert_output 0
  # The verifier earned fees and a share of the slash.
  run jq -s --arg k "$(pub verifier)" 'map(select(.credit == $k) | .amount_micros) | add > 0' statements/verifier.jsonl
  assert_output true
}

@test "the ledger checks clean, nothing is left held, and the money adds up" {
  assert_equal "$(jq -r .ok check.json)" true
  run pay-settle check --ledger ledger.db
  assert_success
  run jq -s 'map(.held_micros) | add' balances.jsonl
  assert_output 0
  run jq -s 'map(.available_micros + .held_micros + .stake_micros) | add' balances.jsonl
  assert_output 0
}

@test "reputation: the cheater's score fell below the prior, the honest ones rose" {
  run jq -r --arg k "$(pub mallory)" 'select(.provider == $k) | .score < 0.5 and .rejected == 2' reputation.jsonl
  assert_output true
  for p in alice bob; do
    run jq -r --arg k "$(pub $p)" 'select(.provider == $k) | .score > 0.5 and .rejected == 0' reputation.jsonl
    assert_output true
  done
  run grid-key verify --by "$(pub operator)" reputation.jsonl
  assert_success
}

@test "applying every message again changes no balance" {
  pay-settle balance --ledger ledger.db >before.jsonl
  run --separate-stderr pay-settle apply --ledger ledger.db --trust trust.txt --slash-multiple 2 --verifier-fee-bp 500 \
    funding.jsonl sweep-leases.jsonl verdicts.jsonl infer-leases.jsonl infer-verdicts.jsonl
  assert_success
  pay-settle balance --ledger ledger.db >after.jsonl
  run cmp before.jsonl after.jsonl
  assert_success
}

@test "a second demo run reaches the same market outcome (fresh keys, same work, same money)" {
  run "$ROOT/scripts/demo" "$BATS_TEST_TMPDIR/again"
  assert_success
  table() { sed -n '/^provider/,/^ledger check/p' "$1" | grep -v '^inference:'; }
  table "$BATS_FILE_TMPDIR/report.txt" >first.txt
  "$ROOT/examples/demo/report" "$BATS_TEST_TMPDIR/again" >second-report.txt
  table second-report.txt >second.txt
  run diff first.txt second.txt
  assert_success
}

@test "the demo refuses to clear a folder it did not make" {
  mkdir -p "$BATS_TEST_TMPDIR/mine"
  echo precious >"$BATS_TEST_TMPDIR/mine/file"
  run --separate-stderr "$ROOT/scripts/demo" "$BATS_TEST_TMPDIR/mine"
  assert_equal "$status" 64
  assert_file_exists "$BATS_TEST_TMPDIR/mine/file"
}

@test "the README's market-by-hand walkthrough runs as written" {
  cd "$BATS_TEST_TMPDIR"
  export EXAMPLES=$ROOT/examples
  # The first two sh blocks after the heading: the pipeline and the jq tour.
  python3 - "$ROOT/README.md" >walk.sh <<'PY'
import sys
s = open(sys.argv[1]).read()
part = s[s.index("## The market by hand"):]
print("set -euo pipefail")
for block in part.split("```sh\n")[1:3]:
    print(block.split("```")[0])
PY
  run --separate-stderr bash walk.sh
  assert_success
  run jq -r .status verdicts.jsonl
  for s in "${lines[@]}"; do assert_equal "$s" accept; done
  [ "${#lines[@]}" -eq 6 ] || fail "expected 6 verdicts, got ${#lines[@]}"
}

@test "the demo draws the sweep: sweep.png, a PNG with one curve per sweep point, titled by its parameters" {
  run od -An -tx1 -N8 sweep.png
  assert_output ' 89 50 4e 47 0d 0a 1a 0a'
  # The curves' titles are the buyer's sweep points, each once.
  run bash -c "awk '/^# / { print substr(\$0, 3) }' sweep-losses.dat | sort"
  expected=$(jq -r '.task.train.sweep_point | to_entries | map("\(.key)=\(.value)") | join(" ")' sweep-orders.jsonl | sort)
  assert_output "$expected"
  [ "${#lines[@]}" -eq 6 ] || fail "expected 6 curves: $output"
  # Each curve's points are its result's losses.
  run bash -c "grep -v '^#' sweep-losses.dat | grep -c ."
  assert_output "$(jq -s '[.[].train.losses[]] | length' sweep-results.jsonl)"
}
