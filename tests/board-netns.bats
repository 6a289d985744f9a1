#!/usr/bin/env bats
# The market across machines, on one machine: a board host running nginx,
# a buyer, three providers, a verifier and a ledger operator, each in its
# own network namespace (a veth on the board host's bridge, addresses only
# inside the namespaces) and its own folder; nothing shared but the board.
# Every role runs its examples/cron/ script, one tick at a time, on the
# demo's market: a sweep, three providers of which p3 cheats (its job-run
# is the real one followed by examples/demo/cheat), caught and slashed.
# Faults on the way: the board restarted, a provider's link cut while
# its task runs and restored, a double post, garbage, forged and
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

# tick ROLE STEP: one cron tick of ROLE's script, in ROLE's namespace and
# with ROLE's settings; p3's PATH finds its cheating job-run first.
tick() {
  local role=$1 d=$BATS_FILE_TMPDIR/$1 script
  shift
  local settings=(GRID_KEY="$d/$role.key" GRID_STATE="$d/state" GRID_BOARD=$B GRID_BOARD_RETRIES=1)
  case $role in
  p?)
    script=provider
    settings+=(GRID_POLICY="$d/policy.json" GRID_MAX_LEASES="$(cat "$d/max-leases")"
      GRID_PUBLISH="http://$NET.1:8080/store/$role/" PATH="$d/bin:$PATH")
    ;;
  buyer) script=buyer settings+=(GRID_JOBS="$d/jobs" GRID_MAX_PRICE=5000 GRID_BID_WINDOW=0) ;;
  verifier) script=verifier settings+=(GRID_STORES="$d/stores.txt") ;;
  ledger) script=ledger settings+=(GRID_LEDGER="$d/ledger.db" GRID_TRUST="$d/trust.txt"
    GRID_SETTLE_FLAGS="--slash-multiple 2 --verifier-fee-bp 500") ;;
  esac
  as "$role" env "${settings[@]}" "$ROOT/examples/cron/$script.sh" "$@"
}

pub() { grid-key pub --key "$BATS_FILE_TMPDIR/$1/$1.key"; }

# cheater DIR: DIR/bin/job-run, p3's: the real job-run, then the demo's
# cheat over its results (the later half of each training run made up),
# then the forged results' objects PUT where the real one would publish.
cheater() {
  mkdir -p "$1/bin"
  cat >"$1/bin/job-run" <<SH
#!/usr/bin/env bash
set -euo pipefail
args=() publish= key= store=
while ((\$#)); do
  case \$1 in
  --publish) publish=\$2 && shift 2 ;;
  --key) key=\$2 && args+=("\$1" "\$2") && shift 2 ;;
  --store) store=\$2 && args+=("\$1" "\$2") && shift 2 ;;
  *) args+=("\$1") && shift ;;
  esac
done
"$ROOT/build/bin/job-run" "\${args[@]}" >"\$store-honest.jsonl"
"$ROOT/examples/demo/cheat" --key "\$key" --store "\$store" <"\$store-honest.jsonl" >"\$store-forged.jsonl"
puts=()
for f in "\$store"/sha256/*/*; do puts+=(-T "\$f" "\$publish\${f#\$store/}"); done
curl -fsS "\${puts[@]}" >/dev/null
cat "\$store-forged.jsonl"
SH
  chmod +x "$1/bin/job-run"
}

# result_stored P LEASES: whether P's job-run has stored a result for
# every lease of LEASES (under the reference job-run keeps it by).
result_stored() {
  local store=$BATS_FILE_TMPDIR/$1/state/store me lease task ref
  me=$(pub "$1")
  while read -r lease task; do
    ref=$(printf 'result %s exact %s lease %s' "$task" "$me" "$lease" | sha256sum | cut -c1-64)
    [ -e "$store/refs/${ref:0:2}/${ref:2}" ] || return 1
  done < <(jq -r '"\(.id) \(.order.task.id)"' "$2")
}

@test "the demo's market through the board alone: every role's cron script, a cheater slashed, through faults" {
  local r
  # Keys, each in its owner's folder; one measurement, signed by each
  # provider as its own profile; p1 bids on 3 orders at the example
  # policy's floor, p2 on all at a higher one, p3 undercuts on 2.
  for r in "${ROLES[@]}"; do (umask 077 && grid-key gen >"$BATS_FILE_TMPDIR/$r/$r.key"); done
  gpu-bench --quick --device cpu --only gemm >"$BATS_FILE_TMPDIR/profile.json"
  for r in p1 p2 p3; do
    mkdir -p "$BATS_FILE_TMPDIR/$r/state"
    grid-key sign --key "$BATS_FILE_TMPDIR/$r/$r.key" <"$BATS_FILE_TMPDIR/profile.json" >"$BATS_FILE_TMPDIR/$r/state/profile.json"
  done
  cp "$ROOT/examples/pricing/policy.json" "$BATS_FILE_TMPDIR/p1/policy.json"
  jq -c '.floor_micros = 2500' "$ROOT/examples/pricing/policy.json" >"$BATS_FILE_TMPDIR/p2/policy.json"
  cp "$ROOT/examples/demo/mallory-policy.json" "$BATS_FILE_TMPDIR/p3/policy.json"
  echo 3 >"$BATS_FILE_TMPDIR/p1/max-leases"
  echo 4 >"$BATS_FILE_TMPDIR/p2/max-leases"
  echo 2 >"$BATS_FILE_TMPDIR/p3/max-leases"
  cheater "$BATS_FILE_TMPDIR/p3"
  for r in p1 p2 p3; do echo "$(pub "$r") http://$NET.1:8080/store/$r/"; done >"$BATS_FILE_TMPDIR/verifier/stores.txt"

  # The ledger: the operator funds the buyer and the providers, who stake
  # (set up by hand, outside the market: a stake is made against the
  # ledger's file, and money comes in from outside the board).
  pub verifier >"$BATS_FILE_TMPDIR/ledger/trust.txt"
  as ledger pay-settle init --ledger ledger.db --currency USD --key ledger.key >/dev/null
  {
    as ledger pay-settle deposit --ledger ledger.db --key ledger.key --account "$(pub buyer)" --amount 100000
    for r in p1 p2 p3; do
      as ledger pay-settle deposit --ledger ledger.db --key ledger.key --account "$(pub "$r")" --amount 20000
      as ledger pay-settle stake --ledger ledger.db --key "$BATS_FILE_TMPDIR/$r/$r.key" --amount 10000
    done
  } >"$BATS_FILE_TMPDIR/ledger/funding.jsonl"
  as ledger pay-settle -q apply --ledger ledger.db --trust trust.txt funding.jsonl >/dev/null

  # The buyer drops a small sweep (4 points, 120 steps each) and orders it.
  mkdir -p "$BATS_FILE_TMPDIR/buyer/jobs"
  jq -c '.train.steps = 120 | .train.checkpoint_every = 20 | .train.data.synthetic.rows = 256 |
    .train.sweep.grid = {"optimizer.lr": [0.01, 0.03], "optimizer.name": ["sgd", "adam"]}' \
    "$ROOT/examples/jobs/train-sweep.json" >"$BATS_FILE_TMPDIR/buyer/jobs/sweep.json"
  run -0 --separate-stderr tick buyer order
  stderr_has "gridutils-buyer: order: sweep: 4 order(s)"

  # The board restarts while p1 bids: 75, and the next tick goes through.
  nginx_stop "$BATS_FILE_TMPDIR/board"
  run -75 --separate-stderr tick p1 bid
  board_up
  for r in p1 p2 p3; do run -0 --separate-stderr tick "$r" bid; done
  # A double post changes nothing.
  run -0 --separate-stderr as p2 grid-board post "$B" state/bids.jsonl
  stderr_has "posted 0, 5 already on the board"

  # p3 misbehaves: garbage, a forged bid, an oversized file, and p1's bid
  # content signed as its own at p1's bid's name.
  local order
  order=$(jq -r 'select(.kind == "bid") | .order[7:]' "$BATS_FILE_TMPDIR/p1/state/bids.jsonl" | head -1)
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

  # The buyer awards each order to its best good bid; the junk is skipped.
  run -0 --separate-stderr tick buyer award
  stderr_has "gridutils-buyer: award: 4 open order(s), 9 bid(s), 4 lease(s) awarded"
  [ "$(grep -c 'warning: skipped' <<<"$stderr")" = 3 ] || fail "three bad files expected: $stderr"
  run -0 --separate-stderr tick buyer award
  [[ $stderr != *"lease(s) awarded"* ]] || fail "awarded twice: $stderr"
  cat "$BATS_FILE_TMPDIR"/buyer/state/awards/*.jsonl >"$BATS_FILE_TMPDIR/leases.jsonl"
  won() { jq -s --arg p "$(pub "$1")" "map(select(.provider == \$p) | .price_micros) | ${2:-length}" "$BATS_FILE_TMPDIR/leases.jsonl"; }
  [ "$(won p1) $(won p2) $(won p3)" = "1 1 2" ] || fail "leases: $(cat "$BATS_FILE_TMPDIR/leases.jsonl")"
  run -0 --separate-stderr tick ledger settle
  stderr_has "gridutils-ledger: settle: leases: 4 applied"

  # p1's link goes down while its job-run runs (held at its start by a
  # stop signal, so the cut never races a fast task): the task is computed
  # and kept in its store, the tick ends 75; with the link back, the next
  # tick publishes and posts the stored result without computing it again.
  mkdir -p "$BATS_FILE_TMPDIR/p1/bin"
  printf '#!/bin/sh\nkill -STOP $$\nexec "%s" "$@"\n' "$ROOT/build/bin/job-run" >"$BATS_FILE_TMPDIR/p1/bin/job-run"
  chmod +x "$BATS_FILE_TMPDIR/p1/bin/job-run"
  tick p1 run 2>"$BATS_FILE_TMPDIR/p1/cut.err" 3>&- &
  local running=$! held="" i
  for ((i = 0; i < 1000; i++)); do
    held=$(pgrep -f "^/bin/sh $BATS_FILE_TMPDIR/p1/bin/job-run") &&
      [[ $(ps -o stat= -p "$held") == T* ]] && break
    held=""
    sleep 0.01
  done
  [ -n "$held" ] || fail "p1's job-run never started: $(cat "$BATS_FILE_TMPDIR/p1/cut.err")"
  ip -n "${NSP}p1" link set eth0 down
  kill -CONT "$held"
  wait "$running" && fail "p1's run went through with its link down" || [ $? = 75 ] || fail "p1's run: $(cat "$BATS_FILE_TMPDIR/p1/cut.err")"
  rm "$BATS_FILE_TMPDIR/p1/bin/job-run"
  ip -n "${NSP}p1" link set eth0 up
  as p1 sh -c "grid-board get -q $B leases --for $(pub p1) >p1-leases.jsonl"
  result_stored p1 "$BATS_FILE_TMPDIR/p1/p1-leases.jsonl" || fail "p1's result was not kept: $(cat "$BATS_FILE_TMPDIR/p1/cut.err")"
  run -0 --separate-stderr tick p1 run
  stderr_has "result already in the store"
  stderr_has "gridutils-provider: run: 1 result(s), 0 lease(s) open"
  for r in p2 p3; do
    run --separate-stderr tick "$r" run
    [ "$status" = 0 ] || fail "$r run: $status: $stderr"
  done

  # The verifier checks every result from the board against its provider's
  # published store, and posts the verdicts: p3's rejected.
  run -0 --separate-stderr tick verifier check
  stderr_has "gridutils-verifier: check: $(pub p1): 1 accept"
  stderr_has "gridutils-verifier: check: $(pub p2): 1 accept"
  stderr_has "gridutils-verifier: check: $(pub p3): 2 reject"
  run -0 --separate-stderr tick verifier check
  [ "$(grep -c 'gridutils-verifier: check: ed25519' <<<"$stderr")" = 0 ] || fail "checked twice: $stderr"

  # Nothing lost, nothing doubled: one result and one verdict per lease.
  as buyer sh -c "grid-board get -q $B results >results.jsonl && grid-board get -q $B verdicts >verdicts.jsonl"
  [ "$(jq -r .lease "$BATS_FILE_TMPDIR/buyer/results.jsonl" | sort | uniq | wc -l) $(wc -l <"$BATS_FILE_TMPDIR/buyer/results.jsonl")" = "4 4" ]
  [ "$(jq -r .lease "$BATS_FILE_TMPDIR/buyer/verdicts.jsonl" | sort | uniq | wc -l) $(wc -l <"$BATS_FILE_TMPDIR/buyer/verdicts.jsonl")" = "4 4" ]

  # The ledger pays on the verdicts; a second tick changes nothing.
  run -0 --separate-stderr tick ledger settle
  stderr_has "gridutils-ledger: settle: verdicts: 4 applied"
  as ledger sh -c "pay-settle balance --ledger ledger.db --format json >balances.jsonl && pay-settle check --ledger ledger.db"
  run -0 --separate-stderr tick ledger settle
  stderr_has "gridutils-ledger: settle: verdicts: nothing new"
  as ledger sh -c "pay-settle balance --ledger ledger.db --format json | cmp - balances.jsonl"
  # Honest work paid less the verifier's 5% fee; the cheater's stake
  # slashed twice its price, half to the verifier who caught it, half to
  # the buyer, who gets the cheated tasks' prices back (pay-settle(1)).
  balance() { jq -s --arg a "$(pub "$1")" "map(select(.account == \$a))[0] | .$2_micros // 0" "$BATS_FILE_TMPDIR/ledger/balances.jsonl"; }
  local fees slash
  fees=$(jq -s --arg p "$(pub p3)" 'map(select(.provider != $p) | .price_micros * 500 / 10000 | floor) | add' "$BATS_FILE_TMPDIR/leases.jsonl")
  slash=$(won p3 'map(2 * .) | add')
  for r in p1 p2; do
    [ "$(balance "$r" available) $(balance "$r" stake)" = "$((10000 + $(won "$r" 'map(. - (. * 500 / 10000 | floor)) | add'))) 10000" ] ||
      fail "$r: $(cat "$BATS_FILE_TMPDIR/ledger/balances.jsonl")"
  done
  [ "$(balance p3 available) $(balance p3 stake)" = "10000 $((10000 - slash))" ] ||
    fail "p3 not slashed: $(cat "$BATS_FILE_TMPDIR/ledger/balances.jsonl")"
  [ "$(balance buyer available)" = $((100000 - $(won p1 add) - $(won p2 add) + slash - slash / 2)) ] ||
    fail "buyer: $(cat "$BATS_FILE_TMPDIR/ledger/balances.jsonl")"
  [ "$(balance verifier available)" = $((fees + slash / 2)) ] ||
    fail "verifier: $(cat "$BATS_FILE_TMPDIR/ledger/balances.jsonl")"
}
