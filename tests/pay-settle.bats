#!/usr/bin/env bats
# pay-settle: the ledger driven through the real binary. Tasks come from
# job-split, results from job-run and verdicts from proof-check where the
# tests need real ones; orders, bids and leases are built here as
# doc/protocol.md describes them and signed with grid-key sign
# (lease-bid is not part of this suite), and so are the many verdicts of
# the volume tests, in the form proof-check writes.

bats_require_minimum_version 1.5.0
load test_helper

# RFC 8032 section 7.1 seeds, and two more: operator, buyer, provider,
# verifier, a second provider, an untrusted verifier.
SEED4=0000000000000000000000000000000000000000000000000000000000000004
SEED5=0000000000000000000000000000000000000000000000000000000000000005
SEED6=0000000000000000000000000000000000000000000000000000000000000006
NOW=2026-11-29T00:00:00Z
LATER=2026-12-05T00:00:00Z
DEADLINE=2026-12-01T00:00:00Z
ZERO=sha256:0000000000000000000000000000000000000000000000000000000000000000

setup_file() {
  job-split --tasks 8 "$ROOT/examples/jobs/gemm.json" >"$BATS_FILE_TMPDIR/tasks.jsonl"
}

setup() {
  common_setup
  write_key op "$SEED1"
  write_key buyer "$SEED2"
  write_key prov "$SEED3"
  write_key ver "$SEED4"
  write_key prov2 "$SEED5"
  write_key rogue "$SEED6"
  OP=$(grid-key pub --key op)
  B=$(grid-key pub --key buyer)
  P=$(grid-key pub --key prov)
  V=$(grid-key pub --key ver)
  P2=$(grid-key pub --key prov2)
  R=$(grid-key pub --key rogue)
  printf '# verifiers we pay\n%s\n\n' "$V" >trust.txt
  TASKS=$BATS_FILE_TMPDIR/tasks.jsonl
  pay-settle init --ledger L.db --currency USD --key op >ledger.json
}

# task N: the Nth task (0-based) of the job-split fixture.
task() {
  sed -n "$(($1 + 1))p" "$TASKS"
}

# lease TASK_INDEX PRICE [DEADLINE [PROVIDER_KEY [BUYER_KEY [NONCE]]]]: a lease as
# lease-bid award writes it: the buyer's signed order, the provider's
# signed bid inside, signed by the buyer.
lease() {
  local n=$1 price=$2 deadline=${3:-$DEADLINE} pkey=${4:-prov} bkey=${5:-buyer} nonce=${6:-0} order bid
  order=$(task "$n" | jq -c --arg b "$(grid-key pub --key "$bkey")" --arg d "$deadline" --argjson n "$nonce" \
    '{kind:"order",v:1,buyer:$b,task:.,flops:.flops,max_price_micros:50000000,deadline:$d,bid_deposit_micros:0,
      created:"2026-11-28T00:00:00Z",nonce:$n}' | grid-key sign --key "$bkey")
  bid=$(jq -c --arg p "$(grid-key pub --key "$pkey")" --argjson price "$price" --arg z "$ZERO" \
    '{kind:"bid",v:1,order:.id,task:.task.id,provider:$p,profile:$z,
      hardware:{device:"cpu",gpu_model:"none",gpu_count:0,gpu_memory_bytes:0,cpu_model:"test"},
      price_micros:$price,pricing:{method:"policy"},estimated_seconds:5,deposit_micros:0,
      expires:"2026-11-30T00:00:00Z",created:"2026-11-28T00:00:00Z"}' <<<"$order" | grid-key sign --key "$pkey")
  jq -nc --argjson o "$order" --argjson b "$bid" \
    '{kind:"lease",v:1,order:$o,bid:$b,buyer:$o.buyer,provider:$b.provider,task:$b.task,
      price_micros:$b.price_micros,rule:"first-price",deadline:$o.deadline,awarded:"2026-11-28T01:00:00Z"}' |
    grid-key sign --key "$bkey"
}

# verdict LEASE STATUS [VERIFIER_KEY [RESULT]]: a verdict in proof-check's form
# on the lease's task and provider.
verdict() {
  jq -c --arg s "$2" --arg r "${4:-$ZERO}" \
    '{kind:"verdict",v:1,result:$r,task:.task,type:"gemm",provider:.provider,status:$s,modes:["sig"],
      lease:.id}' <<<"$1" | grid-key sign --key "${3:-ver}"
}

deposit() {
  pay-settle deposit --ledger L.db --key op --account "$1" --amount "$2"
}

apply() {
  pay-settle apply --ledger L.db --trust trust.txt --now "$NOW" "$@"
}

# balance_of ACCOUNT FIELD: one balance, e.g. balance_of $B available.
balance_of() {
  pay-settle balance --ledger L.db --account "$1" | jq -r ".${2}_micros"
}

# balances: every balance, one line per account, for comparing ledgers.
balances() {
  pay-settle balance --ledger "${1:-L.db}" | jq -c '[.account, .available_micros, .held_micros, .stake_micros]'
}

assert_balance() {
  local got
  got=$(balance_of "$1" "$2")
  [ "$got" = "$3" ] || fail "$2 of $1 is $got, want $3"
}

assert_check_ok() {
  run -0 --separate-stderr pay-settle check --ledger "${1:-L.db}"
  assert_jq .ok true
}

# funded: the buyer holds 10 units, the provider 5 units of which 2 staked.
funded() {
  { deposit "$B" 10000000; deposit "$P" 5000000; } >funds.jsonl
  pay-settle stake --ledger L.db --key prov --amount 2000000 >>funds.jsonl
  run -0 apply funds.jsonl
}

@test "init in a folder it cannot write is a cannot-create error (74), not a missing input" {
  run -74 --separate-stderr pay-settle init --ledger nosuch/L.db --currency USD --key op
  stderr_has "pay-settle: error: cannot create nosuch/L.db: No such file or directory"
  if [ "$(id -u)" != 0 ]; then
    mkdir ro && chmod 555 ro
    run -74 --separate-stderr pay-settle init --ledger ro/L.db --currency USD --key op
    stderr_has "pay-settle: error: cannot create ro/L.db: Permission denied"
    assert_output ""
    return
  fi
  # Root writes anywhere: the run is nobody's, in a folder nobody may read
  # and search but not write, with a copy of the tool it can reach.
  d=$(mktemp -d /tmp/settle-ro.XXXXXX)
  cp "$(command -v pay-settle)" "$d/pay-settle"
  mkdir "$d/ro"
  (umask 077 && printf '%s\n' "$SEED1" >"$d/op")
  chown 65534:65534 "$d/op"
  chmod 755 "$d" "$d/ro"
  run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$d/pay-settle" init --ledger "$d/ro/L.db" --currency USD --key "$d/op"
  rm -rf "$d"
  assert_equal "$status" 74
  stderr_has "pay-settle: error: cannot create $d/ro/L.db: Permission denied"
  assert_output ""
}

@test "init records the currency and operator; never replaces a file" {
  run -0 jq -r '[.kind, .currency, .operator] | @tsv' ledger.json
  assert_output "ledger	USD	$OP"
  run -0 grid-key verify --by "$OP" ledger.json
  sum=$(md5sum L.db)
  run -64 --separate-stderr pay-settle init --ledger L.db --currency EUR --key op
  stderr_has "exists"
  [ "$(md5sum L.db)" = "$sum" ]
  run -64 pay-settle init --ledger M.db --currency usd --key op
  run -64 --separate-stderr pay-settle init --ledger M.db --currency '' --key op
  stderr_has "--currency: an empty value is no currency"
  assert_not_exist M.db
  run -64 pay-settle init --ledger M.db --key op
  run -64 --separate-stderr pay-settle init --ledger M.db --currency USD
  stderr_has "no key"
  GRID_KEY=op run -0 pay-settle init --ledger M.db --currency EUR
  [ "$(sqlite3 M.db 'PRAGMA journal_mode; PRAGMA application_id; PRAGMA user_version')" = $'wal\n1196575812\n6' ]
  run -0 sqlite3 M.db 'SELECT version, description FROM migrations'
  assert_output --partial "1|"
  assert_output --partial "2|"
  assert_output --partial "3|"
  assert_output --partial "4|"
  assert_output --partial "5|"
  assert_output --partial "6|"
  # --now is the ledger message's created time, as for deposit and stake.
  run -0 pay-settle init --ledger N.db --currency USD --key op --now 2026-01-02T03:04:05Z
  [ "$(jq -r .created <<<"$output")" = 2026-01-02T03:04:05Z ]
  run -64 pay-settle init --ledger P.db --currency USD --key op --now yesterday
}

@test "a missing ledger is 66; a file that is not a ledger, or a corrupt one, is 65 and left untouched" {
  for sub in "balance" "check" "statement --account $B" "reputation --key op" "deposit --key op --account $B --amount 1"; do
    run -66 --separate-stderr pay-settle $sub --ledger nope.db
    stderr_has "no ledger at nope.db"
  done
  run -66 pay-settle apply --ledger nope.db --trust trust.txt </dev/null
  echo 'just text, long enough to be more than a header of one hundred bytes..................................' >text.db
  sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
  : >empty.db
  for f in text.db other.db empty.db; do
    sum=$(md5sum "$f")
    run -65 --separate-stderr pay-settle balance --ledger "$f"
    stderr_has "not a pay-settle ledger"
    run -65 --separate-stderr pay-settle apply --ledger "$f" --trust trust.txt </dev/null
    [ "$(md5sum "$f")" = "$sum" ] || fail "$f was modified"
    [ ! -e "$f-wal" ] || fail "$f got a WAL file"
  done
  # Keep the header, garble every page after it.
  cp L.db bad.db
  head -c 100 L.db >bad.db
  head -c $(($(stat -c %s L.db) - 100)) /dev/urandom >>bad.db
  sum=$(md5sum bad.db)
  run -65 --separate-stderr pay-settle balance --ledger bad.db
  stderr_has "corrupt"
  run -65 pay-settle apply --ledger bad.db --trust trust.txt </dev/null
  [ "$(md5sum bad.db)" = "$sum" ]
}

@test "GRID_LEDGER names the ledger when --ledger is not given" {
  GRID_LEDGER=L.db run -0 pay-settle balance
  GRID_LEDGER=nope.db run -0 pay-settle balance --ledger L.db
  run -64 --separate-stderr pay-settle balance
  stderr_has "GRID_LEDGER"
}

@test "deposit: the operator's signed message; apply credits the account" {
  run -0 pay-settle deposit --ledger L.db --key op --account "$B" --amount 2500000 --now 2026-11-28T10:00:00Z
  assert_jq '[.kind, .type, .credit, .amount_micros, .currency, .created] | @tsv' \
    "transfer	deposit	$B	2500000	USD	2026-11-28T10:00:00Z"
  assert_jq .ledger "$(jq -r .id ledger.json)"
  echo "$output" >dep.jsonl
  run -0 grid-key verify --by "$OP" dep.jsonl
  run -0 --separate-stderr apply dep.jsonl
  assert_jq .outcome applied
  assert_balance "$B" available 2500000
  assert_balance system:deposits available -2500000
  run -64 --separate-stderr pay-settle deposit --ledger L.db --key buyer --account "$B" --amount 1
  stderr_has "operator"
  run -64 pay-settle deposit --ledger L.db --key op --account "$B" --amount 0
  # Micro-units are whole: a fraction is named as such, not as out of range.
  run -64 --separate-stderr pay-settle deposit --ledger L.db --key op --account "$B" --amount 1.5
  stderr_has "--amount: 1.5 is not a whole number of micro-units"
  run -64 --separate-stderr pay-settle stake --ledger L.db --key op --amount 2e6
  stderr_has "not a whole number of micro-units"
  run -64 pay-settle deposit --ledger L.db --key op --account nobody --amount 1
  run -64 pay-settle deposit --ledger L.db --key op --amount 1
  # A deposit signed by anyone else, or for another ledger, is refused.
  jq -c '.amount_micros = 99' dep.jsonl | grid-key sign --key buyer >forged.jsonl
  run -65 --separate-stderr apply forged.jsonl
  stderr_has "signed by the ledger's operator"
  pay-settle init --ledger M.db --currency USD --key op >/dev/null
  pay-settle deposit --ledger M.db --key op --account "$B" --amount 5 >other.jsonl
  run -65 --separate-stderr apply other.jsonl
  stderr_has "field .ledger"
  assert_balance "$B" available 2500000
  # A key in upper case is the same key spelled twice: in a message it is
  # refused, never a second account; a flag takes either case.
  BU=ed25519:$(tr a-f A-F <<<"${B#ed25519:}")
  jq -c --arg c "$BU" '.credit = $c | .nonce = "upper"' dep.jsonl | grid-key sign --key op >upper.jsonl
  run -65 --separate-stderr apply upper.jsonl
  stderr_matches "credit must be ed25519:<64 lower-case hex digits> .*field \.credit\)$"
  run -0 pay-settle deposit --ledger L.db --key op --account "$BU" --amount 7
  assert_jq .credit "$B"
  [ "$(pay-settle balance --ledger L.db --format json | jq -s 'length')" -eq 2 ] || fail "a second account appeared"
}

@test "stake: the provider locks collateral from its available balance" {
  deposit "$P" 1000000 >d.jsonl
  run -0 pay-settle stake --ledger L.db --key prov --amount 400000 --now "$NOW"
  assert_jq '[.type, .debit, .amount_micros, .created] | @tsv' "stake	$P	400000	$NOW"
  echo "$output" >s.jsonl
  run -0 apply d.jsonl s.jsonl
  assert_balance "$P" available 600000
  assert_balance "$P" stake 400000
  pay-settle stake --ledger L.db --key prov --amount 700000 >big.jsonl
  run -65 --separate-stderr apply big.jsonl
  stderr_has "insufficient funds"
  assert_balance "$P" stake 400000
  # Only the provider itself signs its stake.
  jq -c --arg p "$P" '.debit = $p' big.jsonl | grid-key sign --key rogue >forged.jsonl
  run -65 --separate-stderr apply forged.jsonl
  stderr_has "signed by its provider"
  run -64 pay-settle stake --ledger L.db --key prov
}

@test "the real pipeline: job-run under a lease, proof-check's verdict pays the provider" {
  funded
  lease 0 1000000 >leases.jsonl
  job-run --device cpu --key prov --store store leases.jsonl >results.jsonl
  proof-check --device cpu --key ver --store store --leases leases.jsonl results.jsonl >verdicts.jsonl
  assert_equal "$(jq -r .status verdicts.jsonl)" accept
  run -0 --separate-stderr apply leases.jsonl verdicts.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "applied,applied"
  assert_jq_all '[.[] | .input] | join(",")' "lease,verdict"
  # 1% to the verifier by default, the rest to the provider.
  assert_balance "$B" available 9000000
  assert_balance "$B" held 0
  assert_balance "$P" available 3990000
  assert_balance "$V" available 10000
  assert_check_ok
}

@test "--pass: other kinds go to stdout untouched; without it they are 65" {
  funded
  lease 0 1000000 >leases.jsonl
  job-run --device cpu --key prov --store store leases.jsonl >results.jsonl
  cat results.jsonl leases.jsonl >mixed.jsonl
  run -65 --separate-stderr apply mixed.jsonl
  stderr_has "not kind result"
  assert_balance "$B" held 0
  run -0 --separate-stderr apply --pass mixed.jsonl
  # The result passes byte for byte; the lease is applied and reported.
  assert_equal "$(head -1 <<<"$output")" "$(cat results.jsonl)"
  assert_equal "$(sed -n 2p <<<"$output" | jq -r .input)" lease
  assert_balance "$B" held 1000000
}

@test "fees: --verifier-fee-bp to the verifier, --fee-bp to system:fees" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 apply --verifier-fee-bp 250 --fee-bp 50 l.jsonl v.jsonl
  assert_balance "$V" available 25000
  assert_balance system:fees available 5000
  assert_balance "$P" available $((3000000 + 970000))
  run -64 apply --verifier-fee-bp 9000 --fee-bp 2000 </dev/null
  run -64 apply --verifier-fee-bp 10001 </dev/null
  assert_check_ok
}

@test "a line that is no JSON object, parsed with its batch: 65 naming it, its batch rolled back; --keep-going skips it" {
  funded
  lease 0 1000000 >l.jsonl
  lease 1 2000000 >l2.jsonl
  { cat l.jsonl; echo '{"kind": "lease",'; cat l2.jsonl; } >mixed.jsonl
  run -65 --separate-stderr apply --batch 5 mixed.jsonl
  stderr_has "input line 2 of mixed.jsonl"
  assert_balance "$B" held 0
  run -65 --separate-stderr apply --batch 2 --keep-going mixed.jsonl
  stderr_has "input line 2 of mixed.jsonl"
  stderr_has "1 bad input line(s) skipped"
  assert_equal "$(jq -r .line <<<"$output" | tr '\n' ' ')" "1 3 "
  assert_balance "$B" held 3000000
  assert_check_ok
}

@test "a verdict by a verifier not in --trust moves nothing (65); --keep-going carries on" {
  funded
  lease 0 1000000 >l.jsonl
  lease 1 2000000 >l2.jsonl
  run -0 apply l.jsonl l2.jsonl
  verdict "$(cat l.jsonl)" accept rogue >bad.jsonl
  verdict "$(cat l2.jsonl)" accept >good.jsonl
  run -65 --separate-stderr apply bad.jsonl good.jsonl
  stderr_has "not in --trust"
  stderr_has "input line 1 of bad.jsonl, field .sig.by"
  assert_balance "$B" held 3000000
  run -65 --separate-stderr apply --keep-going bad.jsonl good.jsonl
  stderr_has "1 input message(s) refused"
  assert_jq .outcome applied
  assert_balance "$B" held 1000000
  assert_balance "$P" available 4980000
  run -66 pay-settle apply --ledger L.db --trust nope.txt </dev/null
  echo 'not-a-key' >badtrust.txt
  run -65 --separate-stderr pay-settle apply --ledger L.db --trust badtrust.txt </dev/null
  stderr_has "line 1"
  run -64 pay-settle apply --ledger L.db </dev/null
}

@test "a replayed lease is a no-op; another lease on the same order is refused" {
  funded
  lease 0 1000000 >l.jsonl
  run -0 apply l.jsonl
  run -0 --separate-stderr apply l.jsonl l.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "exists,exists"
  stderr_has "applied 0 transfer(s)"
  assert_balance "$B" held 1000000
  # The buyer re-awards the same order to a new lease: a replayed order.
  jq -c '.awarded = "2026-11-28T02:00:00Z"' l.jsonl | grid-key sign --key buyer >again.jsonl
  run -65 --separate-stderr apply again.jsonl
  stderr_has "already has lease"
  assert_balance "$B" held 1000000
}

@test "leases are checked: buyer's signature, the bid's signature, consistent ids" {
  funded
  lease 0 1000000 >l.jsonl
  # Signed by someone other than the buyer.
  grid-key sign --key rogue <l.jsonl >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_has "not by its buyer"
  # A bid whose signature does not verify, or by another provider.
  jq -c '.bid.price_micros = 1' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_has "field .bid.id"
  jq -c '.bid |= (.price_micros = 1)' l.jsonl >bid_only.jsonl
  jq -c '.bid' bid_only.jsonl | grid-key sign --key prov2 >bid2.jsonl
  jq -c --slurpfile b bid2.jsonl '.bid = $b[0]' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_has "not by the lease's provider"
  # A bid for another order.
  jq -c --arg z "$ZERO" '.bid.order = $z' l.jsonl >x0.jsonl
  jq -c '.bid' x0.jsonl | grid-key sign --key prov >bid3.jsonl
  jq -c --slurpfile b bid3.jsonl '.bid = $b[0]' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_has "field .bid.order"
  # Price above the order's maximum.
  jq -c '.price_micros = 60000000' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_has "max_price_micros"
  # The order must be one lease-bid takes, also in the fields settling does
  # not read (re-signed by the buyer, so only the field is wrong).
  for bad in '.need = 5	.order.need' '.need = "gpu.model =="	.order.need' '.flops = "many"	.order.flops' \
             '.deadline = "soon"	.order.deadline' '.task = 3	.order.task'; do
    jq -c "(.order |= ($(cut -f1 <<<"$bad"))) | .order" l.jsonl | grid-key sign --key buyer >o.jsonl
    jq -c --slurpfile o o.jsonl '.order = $o[0]' l.jsonl | grid-key sign --key buyer >x.jsonl
    run -65 --separate-stderr apply x.jsonl
    stderr_matches "^pay-settle: error: .*field $(cut -f2 <<<"$bad" | sed 's/\./\\./g')\\)$"
  done
  assert_balance "$B" held 0
  assert_check_ok
}

@test "a lease's price, rule and deadline must be what its bid and order agreed: a buyer's re-signed edit is 65" {
  funded
  lease 0 1000000 >l.jsonl
  # first-price pays the bid's price, neither less nor more.
  for price in 1 999999 1000001; do
    jq -c ".price_micros = $price" l.jsonl | grid-key sign --key buyer >x.jsonl
    run -65 --separate-stderr apply x.jsonl
    stderr_matches "^pay-settle: error: price_micros $price is not the winning bid's 1000000, as first-price pays .*field \.price_micros\)$"
  done
  # second-price pays at least the winner's own bid (the next bid's price,
  # which the ledger does not see, up to the order's maximum).
  jq -c '.rule = "second-price" | .price_micros = 999999' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_matches "below the winning bid's 1000000: second-price pays at least the winner's own .*field \.price_micros\)$"
  jq -c '.rule = "vickrey"' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_matches "field \.rule\)$"
  # The hold runs out at the order's deadline, not an earlier one.
  jq -c '.deadline = "2026-11-28T00:00:30Z"' l.jsonl | grid-key sign --key buyer >x.jsonl
  run -65 --separate-stderr apply x.jsonl
  stderr_matches "the lease's deadline 2026-11-28T00:00:30Z is not its order's .*field \.deadline\)$"
  assert_balance "$B" held 0
  # As lease-bid award writes them, both rules apply.
  jq -c '.rule = "second-price" | .price_micros = 1500000' l.jsonl | grid-key sign --key buyer >second.jsonl
  run -0 --separate-stderr apply second.jsonl
  assert_balance "$B" held 1500000
  assert_check_ok
}

@test "a verdict for an unknown lease is 65, or reported and skipped with --keep-going" {
  funded
  lease 0 1000000 >l.jsonl
  lease 1 1000000 >unknown.jsonl
  run -0 apply l.jsonl
  verdict "$(cat unknown.jsonl)" accept >v1.jsonl
  verdict "$(cat l.jsonl)" accept >v2.jsonl
  run -65 --separate-stderr apply v1.jsonl v2.jsonl
  stderr_has "no hold for lease"
  assert_balance "$B" held 1000000
  run -65 --separate-stderr apply --keep-going v1.jsonl v2.jsonl
  stderr_has "no hold for lease"
  assert_jq .outcome applied
  assert_balance "$B" held 0
}

@test "a lease the buyer cannot pay is refused whole" {
  { deposit "$B" 500000; } >d.jsonl
  run -0 apply d.jsonl
  lease 0 1000000 >l.jsonl
  run -65 --separate-stderr apply l.jsonl
  stderr_has "insufficient funds"
  assert_balance "$B" available 500000
  assert_balance "$B" held 0
  run -0 sqlite3 L.db 'SELECT COUNT(*) FROM holds'
  assert_output 0
  assert_check_ok
}

@test "a hold past its deadline returns to the buyer; a late verdict then moves nothing" {
  funded
  lease 0 1000000 2026-11-30T00:00:00Z >l.jsonl
  run -0 apply l.jsonl
  assert_balance "$B" held 1000000
  run -0 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --now 2026-11-30T00:00:01Z </dev/null
  stderr_has "1 hold(s) expired"
  assert_balance "$B" held 0
  assert_balance "$B" available 10000000
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --now 2026-11-30T00:00:02Z v.jsonl
  # Its hold was returned at the deadline, not settled by a verdict.
  assert_jq .outcome expired
  assert_balance "$P" available 3000000
  # A verdict arriving with its lease after the deadline also expires it.
  lease 1 1000000 2026-11-30T00:00:00Z >l2.jsonl
  verdict "$(cat l2.jsonl)" accept >v2.jsonl
  run -0 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --now "$LATER" l2.jsonl v2.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "expired,expired"
  assert_balance "$B" available 10000000
  assert_check_ok
}

@test "reject: the hold goes back and the stake is slashed, split buyer and verifier" {
  funded
  lease 0 500000 >l.jsonl
  verdict "$(cat l.jsonl)" reject >v.jsonl
  run -0 apply --slash-multiple 3 l.jsonl v.jsonl
  # 3 x 0.5 = 1.5 units from the 2-unit stake: 0.75 each.
  assert_balance "$P" stake 500000
  assert_balance "$B" available $((10000000 + 750000))
  assert_balance "$V" available 750000
  assert_check_ok
  run -0 pay-settle reputation --ledger L.db --key op --now "$NOW"
  assert_jq '[.accepted, .rejected, .score] | @tsv' "0	1	0.3333333333333333"
}

@test "a slash larger than the stake takes what is there and records the shortfall" {
  funded
  lease 0 3000000 >l.jsonl
  verdict "$(cat l.jsonl)" reject >v.jsonl
  run -0 apply l.jsonl v.jsonl
  # Wanted 2 x 3 = 6 units, the stake is 2.
  assert_balance "$P" stake 0
  assert_balance "$B" available $((10000000 + 1000000))
  assert_balance "$V" available 1000000
  run -0 pay-settle statement --ledger L.db --account "$P"
  assert_jq_all '[.[] | select(.detail) | .detail | [.wanted_micros, .taken_micros, .shortfall_micros]] | tostring' \
    "[[6000000,2000000,4000000]]"
  # With nothing left to take the shortfall is still recorded.
  lease 1 1000000 >l2.jsonl
  verdict "$(cat l2.jsonl)" reject >v2.jsonl
  run -0 apply --slash-multiple 1 l2.jsonl v2.jsonl
  run -0 pay-settle statement --ledger L.db --account "$P"
  assert_jq_all '[.[] | select(.detail) | .detail.shortfall_micros] | tostring' "[4000000,1000000]"
  assert_check_ok
}

@test "inconclusive verdicts change nothing; a second verdict for a resolved hold is reported" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" inconclusive >v0.jsonl
  verdict "$(cat l.jsonl)" accept >v1.jsonl
  verdict "$(cat l.jsonl)" reject "" sha256:1111111111111111111111111111111111111111111111111111111111111111 >v2.jsonl
  run -0 --separate-stderr apply l.jsonl v0.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "applied,inconclusive"
  assert_balance "$B" held 1000000
  run -0 --separate-stderr apply v1.jsonl v2.jsonl v1.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "applied,resolved,exists"
  assert_balance "$P" stake 2000000
  assert_balance "$P" available 3990000
  run -0 pay-settle reputation --ledger L.db --key op --now "$NOW"
  assert_jq '[.provider, .accepted, .rejected, .score, .as_of] | @tsv' "$P	1	0	0.6666666666666666	$NOW"
}

@test "a verdict without a lease finds its hold by task and provider" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept | jq -c 'del(.lease)' | grid-key sign --key ver >v.jsonl
  run -0 --separate-stderr apply l.jsonl v.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "applied,applied"
  assert_balance "$P" available 3990000
  jq -c --arg p "$P2" '.provider = $p' v.jsonl | grid-key sign --key ver >other.jsonl
  run -65 --separate-stderr apply other.jsonl
  stderr_has "no hold for task"
  # Applied again after a second lease of the same task: still the hold it
  # resolved, a no-op.
  lease 0 2000000 "$DEADLINE" prov buyer 1 >l2.jsonl
  run -0 apply l2.jsonl
  run -0 --separate-stderr apply v.jsonl
  assert_jq_all '[.[] | .outcome] | join(",")' "exists"
  assert_balance "$P" available 3990000
}

@test "a verdict without a lease, on a task its provider holds twice, is refused naming both leases" {
  funded
  lease 3 1000000 "$DEADLINE" prov buyer 0 >la.jsonl
  lease 3 2000000 "$DEADLINE" prov buyer 1 >lb.jsonl
  run -0 apply la.jsonl lb.jsonl
  verdict "$(cat la.jsonl)" accept | jq -c 'del(.lease)' | grid-key sign --key ver >v.jsonl
  run -65 --separate-stderr apply v.jsonl
  stderr_matches "the verdict names no lease, and provider $P holds 2 leases for task .*$(jq -r .id la.jsonl).*field \.lease\)$"
  stderr_has "$(jq -r .id lb.jsonl)"
  assert_balance "$B" held 3000000
  assert_balance "$P" available 3000000
  # Naming the lease settles exactly that one.
  verdict "$(cat la.jsonl)" accept >named.jsonl
  run -0 apply named.jsonl
  assert_balance "$B" held 2000000
  assert_check_ok
}

@test "re-applying is a no-op; the same transfer with other terms is an error" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 apply l.jsonl v.jsonl
  before=$(balances)
  run -0 --separate-stderr apply funds.jsonl l.jsonl v.jsonl
  assert_jq_all '[.[] | .outcome] | unique | join(",")' "exists"
  [ "$(balances)" = "$before" ]
  run -65 --separate-stderr apply --verifier-fee-bp 300 v.jsonl
  stderr_has "exists with different fields"
  [ "$(balances)" = "$before" ]
}

@test "statement: json transfer messages or csv, --since" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 pay-settle apply --ledger L.db --trust trust.txt --now 2026-11-30T00:00:00Z l.jsonl v.jsonl
  run -0 pay-settle statement --ledger L.db --account "$B"
  assert_jq_all '[.[] | .type] | join(",")' "deposit,hold,post,verifier-fee"
  assert_jq_all '[.[] | .kind] | unique | join(",")' "transfer"
  assert_jq_all '[.[] | .amount_micros] | add' $((10000000 + 1000000 + 990000 + 10000))
  # Each line's id is its message id.
  run -0 bash -c "pay-settle statement --ledger L.db --account $B | grid-key id | jq -r .id"
  [ "$output" = "$(pay-settle statement --ledger L.db --account "$B" | jq -r .id)" ]
  run -0 pay-settle statement --ledger L.db --account "$B" --since 2026-11-29T12:00:00Z
  assert_jq_all '[.[] | .type] | join(",")' "hold,post,verifier-fee"
  run -0 pay-settle statement --ledger L.db --account "$B" --format csv --since 2026-11-29T12:00:00Z
  assert_line -n 0 "seq,at,transfer,type,debit,debit_bucket,credit,credit_bucket,amount_micros,currency,cause,hold"
  [ "${#lines[@]}" -eq 4 ]
  [[ ${lines[2]} == *",post,$B,held,$P,available,990000,USD,"*",$(jq -r .id l.jsonl)" ]] || fail "${lines[2]}"
  run -0 pay-settle statement --ledger L.db --account system:deposits --format json
  [ "${#lines[@]}" -eq 2 ]
  run -64 pay-settle statement --ledger L.db --account "$B" --format xml
  run -64 pay-settle statement --ledger L.db --account "$B" --since yesterday
  run -64 pay-settle statement --ledger L.db
}

@test "balance: every account, or one, as json or a table" {
  funded
  run -0 pay-settle balance --ledger L.db
  assert_jq_all '[.[] | .account] | join(",")' "$B,$P,system:deposits"
  assert_jq_all '[.[] | .available_micros + .held_micros + .stake_micros] | add' 0
  run -0 pay-settle balance --ledger L.db --account "$P" --format json
  assert_jq '[.available_micros, .stake_micros, .currency] | @tsv' "3000000	2000000	USD"
  run -0 pay-settle balance --ledger L.db --account "$R"
  assert_jq .available_micros 0
  run -0 pay-settle balance --ledger L.db --format table
  assert_line -n 0 --partial "available"
  assert_line -n 1 --regexp "^$B +10000000 +0 +0$"
  run -64 pay-settle balance --ledger L.db --account bogus
  # Balances of 18 digits and more keep a space between the columns.
  for i in $(seq 12); do deposit "$R" 9007199254740991 | jq -c ".nonce = \"n$i\"" | jq -c 'del(.id, .sig)' |
    grid-key sign --key op; done >big.jsonl
  run -0 apply big.jsonl
  run -0 pay-settle balance --ledger L.db --format table
  assert_line --regexp "^$R +108086391056891892 +0 +0$"
}

@test "reputation: one message per provider, signed by the operator" {
  funded
  lease 0 1000000 >a.jsonl
  lease 1 1000000 >b.jsonl
  lease 2 1000000 "" prov2 >c.jsonl
  cat a.jsonl b.jsonl c.jsonl >l.jsonl
  { verdict "$(cat a.jsonl)" accept; verdict "$(cat b.jsonl)" accept; verdict "$(cat c.jsonl)" reject; } >v.jsonl
  run -0 apply l.jsonl v.jsonl
  run -0 pay-settle reputation --ledger L.db --key op --now "$NOW"
  echo "$output" >rep.jsonl
  [ "${#lines[@]}" -eq 2 ]
  run -0 grid-key verify --by "$OP" rep.jsonl
  run -0 jq -r '[.provider, .accepted, .rejected, .score, .ledger == "'"$(jq -r .id ledger.json)"'"] | @tsv' rep.jsonl
  assert_line "$P	2	0	0.75	true"
  assert_line "$P2	0	1	0.3333333333333333	true"
  run -64 --separate-stderr pay-settle reputation --ledger L.db --key buyer
  stderr_has "operator"
}

@test "check finds a tampered row, a tampered balance and a doubled resolution" {
  funded
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 apply l.jsonl v.jsonl
  assert_check_ok
  cp L.db t1.db
  sqlite3 t1.db "UPDATE transfers SET amount = 2000000 WHERE type = 'post'"
  run -1 --separate-stderr pay-settle check --ledger t1.db
  stderr_has "hash chain broken at transfer 5"
  assert_jq .ok false
  cp L.db t2.db
  sqlite3 t2.db "UPDATE accounts SET available = available + 7 WHERE name = '$P'"
  run -1 --separate-stderr pay-settle check --ledger t2.db
  stderr_has "double entry broken: all balances sum to 7"
  stderr_has "account $P: stored available"
  cp L.db t3.db
  sqlite3 t3.db "UPDATE accounts SET available = -5 WHERE name = '$V'; UPDATE accounts SET available = available + 10005 WHERE name = '$P'"
  run -1 --separate-stderr pay-settle check --ledger t3.db
  stderr_has "negative balance"
  cp L.db t4.db
  sqlite3 t4.db "INSERT INTO transfers(id, type, debit, debit_bucket, credit, credit_bucket, amount, cause, hold, at, prev_hash, hash)
    SELECT 'x', 'void', debit, debit_bucket, debit, 'available', 0, '$ZERO', hold, at, hash, 'y' FROM transfers WHERE type = 'post'"
  run -1 --separate-stderr pay-settle check --ledger t4.db
  stderr_has "resolved 2 times"
}

@test "check --head: a ledger cut back to an earlier state passes check alone, not against a recorded head" {
  funded
  run -0 --separate-stderr pay-settle check --ledger L.db
  h1=$(jq -r .head <<<"$output")
  [[ $h1 =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no head: $output"
  cp L.db before.db
  lease 0 1000000 >l.jsonl
  verdict "$(cat l.jsonl)" accept >v.jsonl
  run -0 apply l.jsonl v.jsonl
  run -0 --separate-stderr pay-settle check --ledger L.db
  h2=$(jq -r .head <<<"$output")
  [ "$h2" != "$h1" ]
  run -0 --separate-stderr pay-settle check --ledger L.db --head "$h1" --head "$h2"
  assert_jq .ok true
  # The copy taken before the lease is a ledger whose newest rows were cut:
  # consistent in itself, so only a recorded head shows what is missing.
  assert_check_ok before.db
  run -1 --separate-stderr pay-settle check --ledger before.db --head "$h2"
  assert_jq .ok false
  stderr_has "violation: head $h2 is not in the hash chain: the transfers up to it were cut or rewritten"
  run -64 --separate-stderr pay-settle check --ledger L.db --head abc
  stderr_has "--head abc: expected sha256:<64 hex digits>"
}

@test "--batch and --threads do not change the outcome" {
  funded
  for i in 0 1 2 3 4 5; do lease "$i" 100000; done >l.jsonl
  while read -r l; do verdict "$l" accept; done <l.jsonl >v.jsonl
  cp L.db base.db
  run -0 apply --batch 1 --threads 1 l.jsonl v.jsonl
  a=$(balances)
  cp base.db L.db
  rm -f L.db-wal L.db-shm
  run -0 apply --batch 5 --threads 4 l.jsonl v.jsonl
  [ "$(balances)" = "$a" ]
  run -64 apply --batch 0 </dev/null
  run -64 apply --threads 0 </dev/null
}

# market N: N leases across the 8 tasks and two providers, with deposits and
# stakes before them and one verdict each after (mostly accepts, every
# fifth a reject, every seventh inconclusive), in market.jsonl; built with
# a handful of jq and grid-key passes.
market() {
  local n=$1
  { deposit "$B" 100000000000; deposit "$P" 5000000; deposit "$P2" 5000000; } >market.jsonl
  pay-settle stake --ledger L.db --key prov --amount 4000000 >>market.jsonl
  pay-settle stake --ledger L.db --key prov2 --amount 4000000 >>market.jsonl
  jq -c --arg b "$B" --argjson n "$n" '. as $t | range(0; $n) | select(. % 8 == $t.index) |
      {kind:"order",v:1,buyer:$b,task:$t,flops:$t.flops,max_price_micros:50000000,deadline:"'"$DEADLINE"'",
       bid_deposit_micros:0,created:"2026-11-28T00:00:00Z",nonce:.}' "$TASKS" |
    grid-key sign --key buyer >orders.jsonl
  local k
  for k in prov prov2; do
    jq -c --arg p "$(grid-key pub --key $k)" --arg k $k --arg z "$ZERO" \
      'select((.nonce % 2 == 0) == ($k == "prov")) |
       {kind:"bid",v:1,order:.id,task:.task.id,provider:$p,profile:$z,hardware:{device:"cpu"},
        price_micros:(1000 + .nonce),pricing:{method:"policy"},estimated_seconds:5,deposit_micros:0,
        expires:"2026-11-30T00:00:00Z",created:"2026-11-28T00:00:00Z"}' orders.jsonl | grid-key sign --key $k
  done >bids.jsonl
  jq -c -n --slurpfile o orders.jsonl --slurpfile b bids.jsonl \
    '($b | map({key: .order, value: .}) | from_entries) as $by | $o[] | . as $o | $by[$o.id] as $bid |
     {kind:"lease",v:1,order:$o,bid:$bid,buyer:$o.buyer,provider:$bid.provider,task:$bid.task,
      price_micros:$bid.price_micros,rule:"first-price",deadline:$o.deadline,awarded:"2026-11-28T01:00:00Z"}' |
    grid-key sign --key buyer >leases.jsonl
  jq -c --arg z "$ZERO" '{kind:"verdict",v:1,result:$z,task:.task,type:"gemm",provider:.provider,lease:.id,
      status:(if .order.nonce % 7 == 3 then "inconclusive" elif .order.nonce % 5 == 1 then "reject" else "accept" end)}' \
    leases.jsonl | grid-key sign --key ver >verdicts.jsonl
  cat leases.jsonl verdicts.jsonl >>market.jsonl
  [ "$(wc -l <market.jsonl)" -eq $((5 + 2 * n)) ] || fail "market has $(wc -l <market.jsonl) lines"
}

@test "crash: kill -9 at random moments in a large apply; check passes and a re-apply ends as an uninterrupted run" {
  market 400
  cp L.db base.db
  local t0=$EPOCHREALTIME
  run -0 --separate-stderr apply --batch 20 market.jsonl
  # The kills land within an uninterrupted run's time on this machine: a
  # fixed window outlasted the whole apply once apply grew faster.
  local span_ms=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000 + 1))
  want=$(balances)
  transfers=$(sqlite3 L.db 'SELECT COUNT(*) FROM transfers')
  seed=${CRASH_SEED:-$(date +%s)}
  echo "# crash test seed $seed (CRASH_SEED=$seed to repeat)" >&3
  RANDOM=$seed
  local crash killed=0 rounds=${CRASH_ROUNDS:-50}
  for ((crash = 0; crash < rounds; crash++)); do
    rm -f C.db C.db-wal C.db-shm
    cp base.db C.db
    pay-settle apply --ledger C.db --trust trust.txt --now "$NOW" --batch 20 market.jsonl >/dev/null 2>&1 &
    pid=$!
    local ms=$((RANDOM % span_ms))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
    wait "$pid" || true
    run -0 --separate-stderr pay-settle check --ledger C.db
    assert_jq .ok true
    run -0 --separate-stderr pay-settle apply --ledger C.db --trust trust.txt --now "$NOW" --batch 20 market.jsonl
    [ "$(balances C.db)" = "$want" ] || fail "run $crash (seed $seed): balances differ after the re-apply"
    [ "$(sqlite3 C.db 'SELECT COUNT(*) FROM transfers')" = "$transfers" ] || fail "run $crash: transfer count differs"
  done
  echo "# $killed of $rounds runs killed mid-apply, within $span_ms ms" >&3
  [ "$killed" -ge $((rounds / 2)) ] || fail "only $killed runs were killed before they finished: make the input larger"
}

@test "two applies at once: both finish or one exits 75; no transfer lost or doubled" {
  market 400
  cp L.db base.db
  run -0 --separate-stderr apply --batch 10 market.jsonl
  want=$(balances)
  applied=$(jq -s '[.[] | select(.outcome == "applied")] | length' <<<"$output")
  transfers=$(sqlite3 L.db 'SELECT COUNT(*) FROM transfers')
  local round
  for round in 1 2 3; do
    rm -f L.db-wal L.db-shm
    cp base.db L.db
    apply --batch 10 market.jsonl >a.out 2>a.err &
    pa=$!
    # The second run takes the lines in reverse order.
    tac market.jsonl | apply --batch 10 --busy-timeout 20000 --keep-going >b.out 2>b.err &
    pb=$!
    ra=0 rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    # Reversed, a verdict comes before its lease and is refused: those runs
    # exit 65 and apply the rest; the forward run completes everything.
    [[ $ra == 0 || $ra == 75 ]] || fail "round $round: first run exited $ra: $(cat a.err)"
    [[ $rb == 0 || $rb == 65 || $rb == 75 ]] || fail "round $round: second run exited $rb: $(cat b.err)"
    run -0 --separate-stderr apply --batch 10 market.jsonl
    assert_check_ok
    [ "$(sqlite3 L.db 'SELECT COUNT(*) FROM transfers')" = "$transfers" ] || fail "round $round: transfers differ"
    [ "$(balances)" = "$want" ] || fail "round $round: balances differ"
  done
  # Same input forward twice at once: both finish, every message once.
  rm -f L.db-wal L.db-shm
  cp base.db L.db
  apply --batch 10 market.jsonl >a.out 2>a.err &
  pa=$!
  apply --batch 10 market.jsonl >b.out 2>b.err &
  pb=$!
  wait "$pa"
  wait "$pb"
  [ "$(balances)" = "$want" ]
  [ "$(jq -s '[.[] | select(.outcome == "applied")] | length' a.out b.out)" = "$applied" ] ||
    fail "the two runs applied a different number of messages than one run ($applied)"
}

@test "--busy-timeout: a ledger locked past it exits 75, untouched" {
  funded
  lease 0 1000000 >l.jsonl
  before=$(balances)
  # The locker says when it holds the write lock (the file locked) and
  # keeps it until told (the file go): no fixed sleep to guess either.
  (echo 'BEGIN IMMEDIATE;'; echo '.shell touch locked'
    for _ in $(seq 2000); do [ -e go ] && break; sleep 0.01; done; echo 'COMMIT;') | sqlite3 -bail L.db &
  locker=$!
  for _ in $(seq 2000); do [ -e locked ] && break; sleep 0.01; done
  [ -e locked ] || fail "the locker did not take the write lock"
  run -75 --separate-stderr apply --busy-timeout 100 l.jsonl
  stderr_has "retry"
  touch go
  wait "$locker"
  [ "$(balances)" = "$before" ]
  run -0 apply --busy-timeout 100 l.jsonl
  run -64 apply --busy-timeout -1 </dev/null
}

@test "--now, --slash-multiple and --keep-going take only valid values" {
  run -64 pay-settle apply --ledger L.db --trust trust.txt --now yesterday </dev/null
  run -64 apply --slash-multiple -1 </dev/null
  run -0 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --now 1796083200 --slash-multiple 0 \
    --keep-going </dev/null
  echo '{"kind":"task","v":1}' >t.jsonl
  run -65 --separate-stderr apply t.jsonl
  stderr_has "not kind task"
  echo 'not json' >bad.jsonl
  run -65 --separate-stderr apply --keep-going bad.jsonl
}

@test "help, version and usage errors" {
  run -0 pay-settle --help
  assert_output --partial "apply"
  run -0 pay-settle --version
  assert_output --partial "gridutils"
  run -64 pay-settle
  run -64 pay-settle frobnicate
  run -64 pay-settle apply --no-such-flag
  run -0 pay-settle -q balance --ledger L.db
  run -0 --separate-stderr pay-settle --quiet apply --ledger L.db --trust trust.txt </dev/null
  assert_equal "$stderr" ""
}

@test "bash completion offers subcommands, flags and values" {
  run -0 bash_complete pay-settle pay-settle ''
  assert_line init
  assert_line apply
  assert_line reputation
  run -0 bash_complete pay-settle pay-settle apply --
  assert_line --trust
  assert_line --slash-multiple
  assert_line --busy-timeout
  assert_line --keep-going
  refute_line --currency
  run -0 bash_complete pay-settle pay-settle statement --format ''
  assert_line csv
  assert_line json
  run -0 bash_complete pay-settle pay-settle balance --format ''
  assert_line table
  run -0 bash_complete pay-settle pay-settle init --
  assert_line --currency
  assert_line --key
}

@test "apply --retries N: transient failures in a row before 75 for an input by URL, the ledger untouched; out of range is 64" {
  dead=$(dead_url)
  before=$(pay-settle balance --ledger L.db --format json)
  run -75 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --retries 0 "$dead/leases.jsonl"
  assert_output ''
  stderr_matches "^pay-settle: error: cannot fetch $dead/leases.jsonl: .*\(gave up after 1 attempt\)\$"
  run -75 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --retries 1 "$dead/leases.jsonl"
  stderr_matches "\(gave up after 2 attempts\)\$"
  [ "$(pay-settle balance --ledger L.db --format json)" = "$before" ]
  run -0 pay-settle check --ledger L.db
  for n in -1 1001 some; do
    run -64 --separate-stderr pay-settle apply --ledger L.db --trust trust.txt --retries "$n"
    assert_output ''
    stderr_has "--retries"
  done
}
