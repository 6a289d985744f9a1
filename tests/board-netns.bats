#!/usr/bin/env bats
# The market across machines, on one machine: a board host running nginx,
# a buyer, three providers, a verifier and a ledger operator, each in its
# own network namespace (a veth on the board host's bridge, addresses only
# inside the namespaces) and its own folder; nothing shared but the board.
# Providers run examples/cron/provider.sh; the others run their steps by
# hand. Faults on the way: the board restarted, a provider's link cut in
# the middle of its run and restored, a double post, garbage, forged and
# oversized files, an attempt to overwrite another provider's bid.

load test_helper
load board_servers

ROLES=(buyer p1 p2 p3 verifier ledger)

setup_file() {
  [ "$(id -u)" = 0 ] || skip "network namespaces need root"
  ip netns add "gbprobe$$" 2>/dev/null || skip "ip netns add is not allowed here"
  ip netns del "gbprobe$$"
  export NSP=gb$$ NET=10.77.0
  local i=10 r
  ip netns add "${NSP}board"
  ip -n "${NSP}board" link set lo up
  ip -n "${NSP}board" link add br0 type bridge
  ip -n "${NSP}board" addr add "$NET.1/24" dev br0
  ip -n "${NSP}board" link set br0 up
  for r in "${ROLES[@]}"; do
    ip netns add "$NSP$r"
    ip -n "$NSP$r" link set lo up
    ip link add "${NSP}$r" netns "${NSP}board" type veth peer name eth0 netns "$NSP$r"
    ip -n "${NSP}board" link set "${NSP}$r" master br0 up
    ip -n "$NSP$r" addr add "$NET.$i/24" dev eth0
    ip -n "$NSP$r" link set eth0 up
    mkdir -p "$BATS_FILE_TMPDIR/$r"
    i=$((i + 1))
  done
  board_up
}

teardown_file() {
  nginx_stop "$BATS_FILE_TMPDIR/board"
  local r
  for r in board "${ROLES[@]}"; do ip netns del "$NSP$r" 2>/dev/null || true; done
}

# board_up: nginx on the board host, serving the board and the providers'
# published stores.
board_up() {
  ip netns exec "${NSP}board" bash -c ". '$ROOT/tests/board_servers.bash' && nginx_start '$BATS_FILE_TMPDIR/board' 8080 $NET.1"
}

# as ROLE CMD...: CMD in ROLE's namespace and folder.
as() {
  local role=$1
  shift
  (cd "$BATS_FILE_TMPDIR/$role" && ip netns exec "$NSP$role" "$@")
}

B=http://10.77.0.1:8080/market/

@test "the board is reachable from every namespace, which has no other route" {
  for r in "${ROLES[@]}"; do
    as "$r" curl -fsS -o /dev/null "http://$NET.1:8080/" || fail "$r cannot reach the board"
  done
  # A namespace knows only the board's network (from the machine itself,
  # these addresses would route off it: nothing here sends from there).
  run -0 as p1 ip -4 route
  assert_output "$NET.0/24 dev eth0 proto kernel scope link src $NET.11 "
}

@test "orders, bids, leases, results, verdicts and payments move only through the board, through faults" {
  local r pub lines
  # Keys, each in its owner's folder.
  for r in "${ROLES[@]}"; do (umask 077 && grid-key gen >"$BATS_FILE_TMPDIR/$r/$r.key"); done
  # One measurement, signed by each provider as its own profile.
  gpu-bench --quick --device cpu >"$BATS_FILE_TMPDIR/profile.json"
  for r in p1 p2 p3; do
    mkdir -p "$BATS_FILE_TMPDIR/$r/state"
    grid-key sign --key "$BATS_FILE_TMPDIR/$r/$r.key" <"$BATS_FILE_TMPDIR/profile.json" >"$BATS_FILE_TMPDIR/$r/state/profile.json"
  done
  provider() {
    local p=$1
    shift
    as "$p" env GRID_KEY="$BATS_FILE_TMPDIR/$p/$p.key" GRID_STATE="$BATS_FILE_TMPDIR/$p/state" GRID_BOARD=$B \
      GRID_POLICY="$ROOT/examples/pricing/policy.json" GRID_PUBLISH="http://$NET.1:8080/store/$p/" \
      "$ROOT/examples/cron/provider.sh" "$@"
  }

  # The buyer posts three orders.
  jq -c '.gemm.m = 32 | .gemm.n = 16 | .gemm.k = 8' "$ROOT/examples/jobs/gemm.json" |
    job-split --tasks 3 --key "$BATS_FILE_TMPDIR/buyer/buyer.key" >"$BATS_FILE_TMPDIR/buyer/tasks.jsonl"
  as buyer sh -c "lease-bid order --key buyer.key --max-price 100000 --deadline 2h tasks.jsonl >orders.jsonl"
  as buyer grid-board post "$B" orders.jsonl

  # The board restarts while p1 bids: 75, and the next tick goes through.
  nginx_stop "$BATS_FILE_TMPDIR/board"
  run -75 --separate-stderr provider p1 bid
  board_up
  for r in p1 p2 p3; do
    run -0 --separate-stderr provider "$r" bid
    stderr_has "3 bid(s)"
  done
  # A double post changes nothing.
  run -0 --separate-stderr as p2 grid-board post "$B" state/bids.jsonl
  stderr_has "posted 0, 4 already on the board"

  # p3 misbehaves: garbage, a forged bid, an oversized file, and p1's bid
  # content signed as its own at p1's bid's name.
  local order bid1 junk
  order=$(head -1 "$BATS_FILE_TMPDIR/buyer/orders.jsonl" | jq -r '.id[7:]')
  echo garbage >"$BATS_FILE_TMPDIR/p3/garbage"
  as p3 curl -fsS -T garbage "${B}bids/$order/$(printf '%064d' 1).json"
  jq -c 'select(.kind == "bid") | .price_micros = 1' "$BATS_FILE_TMPDIR/p3/state/bids.jsonl" | head -1 >"$BATS_FILE_TMPDIR/p3/forged"
  as p3 curl -fsS -T forged "${B}bids/$order/$(printf '%064d' 2).json"
  head -c 5000000 /dev/zero | tr '\0' ' ' >"$BATS_FILE_TMPDIR/p3/big"
  as p3 curl -fsS -T big "${B}bids/$order/$(printf '%064d' 3).json"
  jq -c "select(.kind == \"bid\" and .order == \"sha256:$order\") | del(.sig)" "$BATS_FILE_TMPDIR/p1/state/bids.jsonl" |
    grid-key sign --key "$BATS_FILE_TMPDIR/p3/p3.key" >"$BATS_FILE_TMPDIR/p3/steal.jsonl"
  run -65 --separate-stderr as p3 grid-board post "$B" steal.jsonl
  stderr_has "holds another message, and is never replaced"

  # The buyer gathers what is on the board and awards.
  as buyer sh -c "grid-board get $B profiles >profiles.jsonl && grid-board get $B bids >bids.jsonl 2>bids.err"
  run cat "$BATS_FILE_TMPDIR/buyer/bids.err"
  [ "$(grep -c 'warning: skipped' <<<"$output")" = 3 ] || fail "three bad files expected: $output"
  [ "$(wc -l <"$BATS_FILE_TMPDIR/buyer/bids.jsonl")" = 9 ] || fail "nine good bids expected"
  [ "$(wc -l <"$BATS_FILE_TMPDIR/buyer/profiles.jsonl")" = 3 ]
  as buyer sh -c "lease-bid award --key buyer.key orders.jsonl profiles.jsonl bids.jsonl >leases.jsonl"
  [ "$(wc -l <"$BATS_FILE_TMPDIR/buyer/leases.jsonl")" = 3 ]
  as buyer grid-board post "$B" leases.jsonl

  # The ledger operator funds the buyer and holds the leases' prices.
  pub() { grid-key pub --key "$BATS_FILE_TMPDIR/$1/$1.key"; }
  as ledger sh -c "pay-settle init --ledger ledger.db --currency USD --key ledger.key >/dev/null"
  pub verifier >"$BATS_FILE_TMPDIR/ledger/trust.txt"
  as ledger sh -c "pay-settle deposit --ledger ledger.db --key ledger.key --account $(pub buyer) --amount 1000000 |
    pay-settle apply --ledger ledger.db --trust trust.txt"
  as ledger sh -c "grid-board get --cursor-file leases.cursor $B leases | pay-settle apply --ledger ledger.db --trust trust.txt"

  # Each provider runs what it won. p1's link is down as its run starts
  # and comes back a moment later: its requests are retried, and go through.
  ip -n "${NSP}p1" link set eth0 down
  (sleep 1.5 && ip -n "${NSP}p1" link set eth0 up) 3>&- &
  run -0 --separate-stderr provider p1 run
  wait
  for r in p2 p3; do run -0 --separate-stderr provider "$r" run; done
  # With the link down through every retry: 75, and the next tick is fine.
  ip -n "${NSP}p2" link set eth0 down
  run -75 --separate-stderr as p2 grid-board get --retries 1 "$B" leases
  ip -n "${NSP}p2" link set eth0 up
  run -0 --separate-stderr provider p2 run

  # The verifier checks every result from the board against the providers'
  # published stores, and posts its verdicts.
  as verifier sh -c "grid-board get $B leases >leases.jsonl && grid-board get $B results >results.jsonl"
  [ "$(wc -l <"$BATS_FILE_TMPDIR/verifier/results.jsonl")" = 3 ] || fail "three results expected"
  mkdir -p "$BATS_FILE_TMPDIR/verifier/empty"
  for r in p1 p2 p3; do
    as verifier sh -c "jq -c 'select(.sig.by == \"$(pub "$r")\")' results.jsonl |
      proof-check --key verifier.key --leases leases.jsonl --store empty --store-url http://$NET.1:8080/store/$r/ \
        --mode sig,trace,rows >>verdicts.jsonl"
  done
  [ "$(jq -r .status "$BATS_FILE_TMPDIR/verifier/verdicts.jsonl" | sort | uniq -c | awk '{print $1 $2}')" = 3accept ] ||
    fail "verdicts: $(cat "$BATS_FILE_TMPDIR/verifier/verdicts.jsonl")"
  as verifier grid-board post "$B" verdicts.jsonl

  # The ledger pays on the verdicts; a second cron tick changes nothing.
  for i in 1 2; do
    as ledger sh -c "grid-board get $B verdicts | pay-settle apply --ledger ledger.db --trust trust.txt --verifier-fee-bp 0"
  done
  as ledger sh -c "pay-settle balance --ledger ledger.db --format json >balances.jsonl && pay-settle check --ledger ledger.db"
  local spent paid
  spent=$(jq -s 'map(.price_micros) | add' "$BATS_FILE_TMPDIR/buyer/leases.jsonl")
  paid=0
  for r in p1 p2 p3; do
    want=$(jq -s --arg p "$(pub "$r")" 'map(select(.provider == $p) | .price_micros) | add // 0' "$BATS_FILE_TMPDIR/buyer/leases.jsonl")
    got=$(jq -s --arg p "$(pub "$r")" 'map(select(.account == $p) | .available_micros // .balance_micros) | add // 0' \
      "$BATS_FILE_TMPDIR/ledger/balances.jsonl")
    [ "$got" = "$want" ] || fail "$r: paid $got, won $want: $(cat "$BATS_FILE_TMPDIR/ledger/balances.jsonl")"
    paid=$((paid + got))
  done
  [ "$paid" = "$spent" ]
}
