#!/usr/bin/env bats
# examples/cron/provider.sh: the provider's cron steps, each under its own
# flock, so two runs of one step never overlap: the late one exits 75.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
  SCRIPT=$ROOT/examples/cron/provider.sh
  (umask 077 && grid-key gen >provider.key)
  # --only gemm: a profile in a fifth of a second. The other sections
  # (kinds, render) cost about 20 CPU seconds a bench, and these tests are
  # about the scripts; tests/gpu-bench.bats measures the sections.
  export GRID_KEY=$PWD/provider.key GRID_STATE=$PWD/state GRID_BENCH_FLAGS="--quick --device cpu --only gemm"
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
  # The first run's gpu-bench says it started (the file started: the run
  # holds its lock by then) and waits for the file go: the run holds its
  # lock until the second has tried, however fast the bench is. Waiting
  # for started, not probing the lock, leaves the first run's flock alone.
  mkdir bin
  printf '#!/bin/sh\ntouch "%s/started"\nfor _ in $(seq 6000); do [ -e "%s/go" ] && exec "%s" "$@"; sleep 0.01; done\nexit 70\n' \
    "$PWD" "$PWD" "$(command -v gpu-bench)" >bin/gpu-bench
  chmod +x bin/gpu-bench
  PATH=$PWD/bin:$PATH "$SCRIPT" bench 2>first.err &
  first=$!
  for _ in $(seq 2000); do
    [ -e started ] && break
    sleep 0.01
  done
  [ -e started ] || fail "the first run's gpu-bench did not start: $(cat first.err)"
  held_by_other state/bench.lock || fail "the first run does not hold the lock"
  run --separate-stderr "$SCRIPT" bench
  assert_equal "$status" 75
  stderr_has "another bench run holds"
  touch go
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

# market: a buyer with one small gemm task posted as an order, a ledger
# holding its money, and the provider's settings pointing at them.
market() {
  (umask 077 && grid-key gen >buyer.key && grid-key gen >operator.key && grid-key gen >verifier.key)
  jq -c '.gemm.m = 32 | .gemm.n = 16 | .gemm.k = 8' "$ROOT/examples/jobs/gemm.json" | grid-key sign --key buyer.key |
    job-split --key buyer.key >tasks.jsonl
  lease-bid order --key buyer.key --max-price 100000 --deadline 2h tasks.jsonl >orders.jsonl
  export GRID_BOARD=file://$PWD/board
  grid-board post "$GRID_BOARD" orders.jsonl
  export GRID_POLICY=$ROOT/examples/pricing/policy.json GRID_LEDGER=$PWD/ledger.db
  grid-key pub --key verifier.key >trust.txt
  pay-settle init --ledger ledger.db --currency USD --key operator.key >/dev/null
  pay-settle deposit --ledger ledger.db --key operator.key --account "$(grid-key pub --key buyer.key)" --amount 1000000 |
    pay-settle apply --ledger ledger.db --trust trust.txt
}

@test "bid, run, statement: a provider's cron steps take an order to a paid, verified result" {
  market
  run -0 --separate-stderr "$SCRIPT" bench
  run -0 --separate-stderr "$SCRIPT" bid
  stderr_has "gridutils-provider: bid: 1 bid(s)"
  assert_equal "$(jq -r 'select(.kind == "bid") | .provider' state/bids.jsonl)" "$(grid-key pub --key provider.key)"
  # The buyer gathers the bids and the bidders' profiles from the board,
  # awards, and posts the lease there.
  { grid-board get "$GRID_BOARD" profiles && grid-board get "$GRID_BOARD" bids; } >board-bids.jsonl
  assert_equal "$(jq -r .kind board-bids.jsonl | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "1bid 1profile "
  lease-bid award --key buyer.key orders.jsonl board-bids.jsonl >leases.jsonl
  grid-board post "$GRID_BOARD" leases.jsonl
  pay-settle apply --ledger ledger.db --trust trust.txt leases.jsonl
  # A second bid run finds no new order: the cursor moved on.
  run -0 --separate-stderr "$SCRIPT" bid
  stderr_has "gridutils-provider: bid: 0 bid(s)"
  run -0 --separate-stderr "$SCRIPT" run
  stderr_has "1 result(s), 0 lease(s) open"
  # The verifier takes the result from the board.
  run -0 --separate-stderr grid-board get "$GRID_BOARD" results
  assert_equal "$output" "$(cat state/results.jsonl)"
  run -0 --separate-stderr proof-check --key verifier.key --leases leases.jsonl --store state/store state/results.jsonl
  assert_jq .status accept
  echo "$output" | pay-settle apply --ledger ledger.db --trust trust.txt --verifier-fee-bp 0
  run -0 --separate-stderr "$SCRIPT" statement
  paid=$(jq -s 'map(select(.type == "post") | .amount_micros) | add' state/statement-*.jsonl)
  assert_equal "$paid" "$(jq .price_micros leases.jsonl)"
  # A second run step reuses the stored result: nothing is computed again.
  before=$(cat state/results.jsonl)
  run -0 --separate-stderr "$SCRIPT" run
  assert_equal "$(cat state/results.jsonl)" "$before"
}

@test "a lease not yet run counts against GRID_MAX_LEASES in the next bid" {
  market
  run -0 --separate-stderr "$SCRIPT" bench
  run -0 --separate-stderr "$SCRIPT" bid
  lease-bid award --key buyer.key orders.jsonl state/bids.jsonl >leases.jsonl
  # The run step is busy elsewhere: the lease is open, and with room for one
  # lease only, a new order gets no bid. (Another deadline: the same order
  # made within the same second is the same message, already on the board.)
  jq -c '.' leases.jsonl >state/open-leases.jsonl
  lease-bid order --key buyer.key --max-price 100000 --deadline 3h tasks.jsonl | grid-board post "$GRID_BOARD"
  GRID_MAX_LEASES=1 run -0 --separate-stderr "$SCRIPT" bid
  stderr_has "0 bid(s)"
  stderr_has "no capacity"
}

@test "day one as the README sets it up: the crontab's bench and bid lines run with the copied settings" {
  market
  # The README's setup, in a fresh HOME, then the one edit a provider must
  # make: where the board is (and no publishing).
  export HOME=$BATS_TEST_TMPDIR/home
  unset GRID_KEY GRID_STATE GRID_POLICY GRID_LEDGER GRID_BOARD
  mkdir -p ~/.config/gridutils
  cp "$ROOT/examples/cron/provider.env" "$ROOT/examples/pricing/policy.json" ~/.config/gridutils/
  grid-key gen --out ~/.config/gridutils/provider.key
  sed -i -e "s|^export GRID_BOARD=[^ ]*|export GRID_BOARD=file://$PWD/board|" \
    -e "s|^export GRID_PUBLISH=[^ ]*|export GRID_PUBLISH=|" ~/.config/gridutils/provider.env
  # cron's view: the crontab's variables, each line's command through sh;
  # logger keeps what it is sent in a file.
  mkdir bin
  printf '#!/bin/sh\ncat >>"%s/logged"\n' "$PWD" >bin/logger
  chmod +x bin/logger
  crontab=$ROOT/examples/cron/crontab
  grep -q '^EXAMPLES=/usr/local/share/gridutils/examples$' "$crontab"
  grep -q '^PATH=/usr/local/bin:' "$crontab"
  for step in bench bid; do
    cmd=$(awk -v s="$step" '$0 ~ "provider.sh " s " " { for (i = 6; i <= NF; i++) printf "%s ", $i }' "$crontab")
    [ -n "$cmd" ] || fail "no $step line in the crontab"
    EXAMPLES=$ROOT/examples PATH="$PWD/bin:$PATH" run -0 sh -c "$cmd"
  done
  run -0 cat logged
  assert_line --partial "gridutils-provider: bench: profile sha256:"
  assert_line "gridutils-provider: bid: 1 bid(s)"
  assert_equal "$(jq -r 'select(.kind == "bid") | .provider' ~/.local/state/gridutils/bids.jsonl)" \
    "$(grid-key pub --key ~/.config/gridutils/provider.key)"
}

# as ROLE STEP: one cron tick of the role's script in examples/cron/, with
# the role's settings (the provider's are set by setup and market).
as() {
  local role=$1
  shift
  case $role in
  buyer) env GRID_KEY="$PWD/buyer.key" GRID_STATE="$PWD/buyer" GRID_JOBS="$PWD/jobs" GRID_MAX_PRICE=100000 \
    GRID_BID_WINDOW=0 "$ROOT/examples/cron/buyer.sh" "$@" ;;
  verifier) env GRID_KEY="$PWD/verifier.key" GRID_STATE="$PWD/verifier" GRID_STORES="$PWD/stores.txt" \
    "$ROOT/examples/cron/verifier.sh" "$@" ;;
  ledger) env GRID_STATE="$PWD/operator" GRID_TRUST="$PWD/trust.txt" GRID_SETTLE_FLAGS="--verifier-fee-bp 0" \
    "$ROOT/examples/cron/ledger.sh" "$@" ;;
  provider) GRID_PUBLISH="file://$PWD/published/" "$SCRIPT" "$@" ;;
  esac
}

@test "buyer, verifier and ledger cron steps: every step twice, an order paid once, through the board alone" {
  market
  rm -r board  # market()'s order is not this buyer script's
  mkdir jobs
  jq -c '.gemm.m = 32 | .gemm.n = 16 | .gemm.k = 8' "$ROOT/examples/jobs/gemm.json" >jobs/small.json
  echo "$(grid-key pub --key provider.key) file://$PWD/published/" >stores.txt
  run -0 --separate-stderr as provider bench
  for step in "buyer order" "provider bid" "buyer award" "ledger settle" "provider run" "verifier check" "ledger settle"; do
    for tick in 1 2; do
      run --separate-stderr as $step
      [ "$status" = 0 ] || fail "$step (tick $tick): exit $status: $stderr"
      echo "$stderr" >>"ticks.log"
    done
  done
  run cat ticks.log
  assert_line "gridutils-buyer: order: small: 1 order(s)"
  assert_line "gridutils-buyer: award: 1 open order(s), 1 bid(s), 1 lease(s) awarded"
  assert_line "gridutils-verifier: check: $(grid-key pub --key provider.key): 1 accept"
  assert_line "gridutils-ledger: settle: leases: 1 applied"
  assert_line "gridutils-ledger: settle: verdicts: 1 applied"
  # A stranger's result, signed and in its place but not one proof-check
  # can read: named on stderr, the tick goes on, and nothing is posted.
  (umask 077 && grid-key gen >stranger.key)
  task=$(grid-board -q get "$GRID_BOARD" results | jq -r .task)
  echo "{\"kind\":\"result\",\"v\":1,\"task\":\"$task\"}" | grid-key sign --key stranger.key >odd.jsonl
  grid-board -q post "$GRID_BOARD" odd.jsonl
  echo "$(grid-key pub --key stranger.key) file://$PWD/published/" >>stores.txt
  run --separate-stderr as verifier check
  [ "$status" = 0 ] || fail "verifier check: exit $status: $stderr"
  stderr_has "proof-check: error:"
  [ "$(grid-board -q get "$GRID_BOARD" verdicts | wc -l)" = 1 ]
  # One of each on the board: the second ticks made nothing new.
  for kind in orders bids leases verdicts; do
    [ "$(grid-board -q get "$GRID_BOARD" "$kind" | wc -l)" = 1 ] || fail "$kind: not one on the board"
  done
  # The lease paid in full, once.
  price=$(grid-board -q get "$GRID_BOARD" leases | jq .price_micros)
  run -0 pay-settle balance --ledger ledger.db --format json
  assert_equal "$(jq -s --arg p "$(grid-key pub --key provider.key)" 'map(select(.account == $p))[0].available_micros' <<<"$output")" "$price"
  run -0 pay-settle check --ledger ledger.db
}

@test "buyer, verifier and ledger steps: usage errors (64), missing settings named, the board down is 75" {
  for role in buyer verifier ledger; do
    run --separate-stderr "$ROOT/examples/cron/$role.sh" dance
    assert_equal "$status" 64
    stderr_has "usage: $role.sh"
  done
  run --separate-stderr env -u GRID_KEY "$ROOT/examples/cron/buyer.sh" order
  assert_failure
  stderr_has GRID_KEY
  run --separate-stderr env GRID_STATE="$PWD/v" "$ROOT/examples/cron/verifier.sh" check
  assert_failure
  stderr_has GRID_BOARD
  # A board nobody answers at: every step that reads it exits 75 (no
  # retries within the tick: the next tick is the retry).
  (umask 077 && grid-key gen >buyer.key && grid-key gen >verifier.key)
  export GRID_BOARD=http://127.0.0.1:9/market/ GRID_BOARD_RETRIES=0 GRID_LEDGER=$PWD/ledger.db
  : >stores.txt
  : >trust.txt
  mkdir jobs
  run --separate-stderr as verifier check
  assert_equal "$status" 75
  run --separate-stderr as ledger settle
  assert_equal "$status" 75
  jq -c '.gemm.m = 32 | .gemm.n = 16 | .gemm.k = 8' "$ROOT/examples/jobs/gemm.json" >jobs/small.json
  run --separate-stderr as buyer order
  assert_equal "$status" 75
  # The order was made once, and is posted by the next tick that reaches a board.
  GRID_BOARD=file://$PWD/board run -0 --separate-stderr as buyer order
  assert_equal "$(grid-board -q get "file://$PWD/board" orders | jq -c .id)" "$(jq -c .id buyer/orders/small.jsonl)"
}

# unfunded_market: a lease and its accept verdict on a file:// board, and a
# ledger where the buyer has no money yet. The bid is written as lease-bid
# bid writes one (no profile needed: the ledger reads only its signature
# and fields).
unfunded_market() {
  (umask 077 && grid-key gen >buyer.key && grid-key gen >operator.key && grid-key gen >verifier.key)
  jq -c '.gemm.m = 32 | .gemm.n = 16 | .gemm.k = 8' "$ROOT/examples/jobs/gemm.json" | job-split --key buyer.key |
    lease-bid order --key buyer.key --max-price 100000 --deadline 2h >order.jsonl
  jq -c --arg p "$(grid-key pub --key provider.key)" \
    '{kind:"bid",v:1,order:.id,task:.task.id,provider:$p,
      profile:"sha256:0000000000000000000000000000000000000000000000000000000000000000",
      hardware:{device:"cpu",gpu_model:"none",gpu_count:0,gpu_memory_bytes:0,cpu_model:"test"},
      price_micros:700,pricing:{method:"policy"},estimated_seconds:1,deposit_micros:0,
      expires:.deadline,created:.created}' order.jsonl | grid-key sign --key provider.key >bid.jsonl
  jq -c -s '{kind:"lease",v:1,order:.[0],bid:.[1],buyer:.[0].buyer,provider:.[1].provider,task:.[1].task,
      price_micros:.[1].price_micros,rule:"first-price",deadline:.[0].deadline,awarded:.[0].created}' \
    order.jsonl bid.jsonl | grid-key sign --key buyer.key >lease.jsonl
  jq -c '{kind:"verdict",v:1,result:"sha256:0000000000000000000000000000000000000000000000000000000000000000",
      task:.task,type:"gemm",provider:.provider,status:"accept",modes:["sig"],lease:.id}' lease.jsonl |
    grid-key sign --key verifier.key >verdict.jsonl
  export GRID_BOARD=file://$PWD/board GRID_LEDGER=$PWD/ledger.db
  grid-board -q post "$GRID_BOARD" lease.jsonl verdict.jsonl
  grid-key pub --key verifier.key >trust.txt
  pay-settle init --ledger ledger.db --currency USD --key operator.key >/dev/null
}

@test "ledger settle: a lease refused for want of funds, and its verdict, are retried each tick and paid once the buyer pays in" {
  unfunded_market
  for tick in 1 2; do
    run -0 --separate-stderr as ledger settle
    stderr_has "gridutils-ledger: settle: leases: nothing new; 1 refused, kept to retry"
    stderr_has "gridutils-ledger: settle: verdicts: nothing new; 1 refused, kept to retry"
    stderr_has "pay-settle: error:"
  done
  assert_equal "$(jq -r .message.id operator/leases.pending)" "$(jq -r .id lease.jsonl)"
  assert_equal "$(jq -r .message.id operator/verdicts.pending)" "$(jq -r .id verdict.jsonl)"
  pay-settle deposit --ledger ledger.db --key operator.key --account "$(grid-key pub --key buyer.key)" --amount 1000 |
    pay-settle apply -q --ledger ledger.db --trust trust.txt >/dev/null
  run -0 --separate-stderr as ledger settle
  stderr_has "gridutils-ledger: settle: leases: 1 applied"
  stderr_has "gridutils-ledger: settle: verdicts: 1 applied"
  assert_equal "$(wc -c <operator/leases.pending) $(wc -c <operator/verdicts.pending)" "0 0"
  run -0 --separate-stderr as ledger settle
  stderr_has "gridutils-ledger: settle: leases: nothing new"
  run -0 pay-settle balance --ledger ledger.db --account "$(grid-key pub --key provider.key)"
  assert_jq .available_micros 700
  run -0 pay-settle balance --ledger ledger.db --account "$(grid-key pub --key buyer.key)"
  assert_jq .available_micros 300
  run -0 pay-settle check --ledger ledger.db
}

@test "ledger settle: a message refused for GRID_SETTLE_RETRY_SECONDS is dropped and named; a bad setting is 64" {
  unfunded_market
  GRID_SETTLE_RETRY_SECONDS=3600 run -0 --separate-stderr as ledger settle
  stderr_has "gridutils-ledger: settle: leases: nothing new; 1 refused, kept to retry"
  # As if that hour had passed: the first refusal is back-dated.
  jq -c '.since -= 3600' operator/leases.pending >p && mv p operator/leases.pending
  GRID_SETTLE_RETRY_SECONDS=3600 run -0 --separate-stderr as ledger settle
  stderr_has "gridutils-ledger: settle: leases: dropped $(jq -r .id lease.jsonl), refused for 3600s"
  stderr_has "gridutils-ledger: settle: verdicts: nothing new; 1 refused, kept to retry"
  assert_equal "$(wc -c <operator/leases.pending)" 0
  GRID_SETTLE_RETRY_SECONDS=1h run --separate-stderr as ledger settle
  assert_equal "$status" 64
  stderr_has "GRID_SETTLE_RETRY_SECONDS must be whole seconds, not '1h'"
}
