#!/usr/bin/env bats
# grid-board against real servers: nginx (WebDAV) and SeaweedFS (S3),
# started once for the file on 127.0.0.1 with their own folders, and a
# file:// folder. Each test uses its own prefix on each board.

load test_helper
load board_servers

setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  NGINX_PORT=$(free_port)
  nginx_start "$BATS_FILE_TMPDIR/nginx" "$NGINX_PORT" || return 1
  S3_PORT=$(free_port 8)
  weed_start "$BATS_FILE_TMPDIR/weed" "$S3_PORT" || return 1
  export NGINX_PORT S3_PORT
}

teardown_file() {
  nginx_stop "$BATS_FILE_TMPDIR/nginx"
  weed_stop "$BATS_FILE_TMPDIR/weed"
}

setup() {
  common_setup
  s3_env "$S3_PORT"
  write_key k1 "$SEED1"
  write_key k2 "$SEED2"
  write_key k3 "$SEED3"
  T=t$BATS_TEST_NUMBER
  # sign KEY JSON...: each JSON object signed by KEY, one per line.
  sign() {
    local key=$1
    shift
    printf '%s\n' "$@" | grid-key sign --key "$key"
  }
  sign k2 '{"kind":"order","v":1,"n":1}' '{"kind":"order","v":1,"n":2}' >orders.jsonl
  ORDER=$(head -1 orders.jsonl | jq -r .id)
  sign k3 "{\"kind\":\"bid\",\"v\":1,\"order\":\"$ORDER\",\"provider\":\"$PUB3\"}" >bids.jsonl
  sign k2 "{\"kind\":\"lease\",\"v\":1,\"provider\":\"$PUB3\",\"buyer\":\"$PUB2\"}" >leases.jsonl
  sign k3 '{"kind":"profile","v":1}' >profiles.jsonl
}

# board NAME: the URL of this test's board on backend NAME.
board() {
  case $1 in
  file) echo "file://$BATS_TEST_TMPDIR/board/$T" ;;
  webdav) echo "http://127.0.0.1:$NGINX_PORT/$T/" ;;
  propfind) echo "http://127.0.0.1:$PROPFIND_PORT/$T/" ;;
  s3) echo "s3://board/$T" ;;
  esac
}

# put_raw BACKEND NAME FILE: FILE's bytes at NAME on the board, behind
# grid-board's back (as a stranger with write access could).
put_raw() {
  case $1 in
  file) mkdir -p "$(dirname "$BATS_TEST_TMPDIR/board/$T/$2")" && cp "$3" "$BATS_TEST_TMPDIR/board/$T/$2" ;;
  webdav) curl -fsS -T "$3" "http://127.0.0.1:$NGINX_PORT/$T/$2" >/dev/null ;;
  s3) curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user "$BOARD_S3_KEY:$BOARD_S3_SECRET" -T "$3" \
    "http://127.0.0.1:$S3_PORT/board/$T/$2" >/dev/null ;;
  esac
}

ids() { jq -r .id "$@" | sort; }

round_trip() {
  local url
  url=$(board "$1")
  run -0 --separate-stderr grid-board post "$url" orders.jsonl bids.jsonl leases.jsonl profiles.jsonl
  stderr_has "posted 5, 0 already on the board"
  run -0 --separate-stderr grid-board get "$url" orders
  [ "$(ids <<<"$output")" = "$(ids orders.jsonl)" ] || fail "orders differ: $output"
  stderr_matches "cursor v1:[0-9]+:"
  run -0 --separate-stderr grid-board get "$url" bids --order "$ORDER"
  [ "$(ids <<<"$output")" = "$(ids bids.jsonl)" ] || fail "bids differ: $output"
  run -0 --separate-stderr grid-board get "$url" leases --for "$PUB3"
  [ "$(ids <<<"$output")" = "$(ids leases.jsonl)" ] || fail "leases differ: $output"
  run -0 --separate-stderr grid-board get "$url" profiles --for "$PUB3"
  [ "$(ids <<<"$output")" = "$(ids profiles.jsonl)" ] || fail "profiles differ: $output"
  run -0 --separate-stderr grid-board get "$url" leases --for "$PUB2"
  [ -z "$output" ] || fail "leases of another provider: $output"
  # Posting again changes nothing.
  run -0 --separate-stderr grid-board post "$url" orders.jsonl bids.jsonl leases.jsonl profiles.jsonl
  stderr_has "posted 0, 5 already on the board"
  run -0 --separate-stderr grid-board get "$url" bids
  [ "${#lines[@]}" = 1 ] || fail "one bid expected: $output"
}

@test "post and get round trip on a file:// board; a repost is a no-op" {
  round_trip file
}

@test "post and get round trip on nginx over WebDAV; a repost is a no-op" {
  round_trip webdav
  # Nothing half-written is left behind where readers look.
  run -0 find "$BATS_FILE_TMPDIR/nginx/data/$T/orders" -type f
  [ "${#lines[@]}" = 2 ]
}

@test "post and get round trip on SeaweedFS over S3; a repost is a no-op" {
  round_trip s3
}

refused_overwrite() {
  local url
  url=$(board "$1")
  run -0 grid-board post "$url" orders.jsonl
  # The same content signed by another key: the same id, so the same name.
  head -1 orders.jsonl | jq -c 'del(.sig)' | grid-key sign --key k1 >other.jsonl
  [ "$(jq -r .id other.jsonl)" = "$ORDER" ]
  run -65 --separate-stderr grid-board post "$url" other.jsonl
  stderr_has "holds another message, and is never replaced"
  run -0 --separate-stderr grid-board get "$url" orders
  [ "$(jq -r "select(.id == \"$ORDER\") | .sig.by" <<<"$output")" = "$PUB2" ] || fail "the first post was replaced: $output"
}

@test "a message at a taken name is refused on every backend; the first stays" {
  for b in file webdav s3; do refused_overwrite "$b"; done
}

bad_entries() {
  local url=$1 b=$2 oid bid_hex other
  oid=${ORDER#sha256:}
  run -0 grid-board post "$url" orders.jsonl bids.jsonl
  echo 'not json at all' >garbage
  put_raw "$b" "orders/$(printf '%064d' 1).json" garbage
  # Forged: a message whose content was changed after signing.
  jq -c '.n = 99' <(tail -1 orders.jsonl) >forged
  put_raw "$b" "orders/$(printf '%064d' 3).json" forged
  # Oversized: a real order padded past --max-bytes.
  jq -c '.pad = "'"$(head -c 3000 /dev/zero | tr '\0' x)"'"' <(head -1 orders.jsonl) | grid-key sign --key k2 >big
  put_raw "$b" "orders/$(jq -r '.id[7:]' big).json" big
  # Misplaced: a real bid under another order.
  other=$(printf '%064d' 7)
  bid_hex=$(jq -r '.id[7:]' bids.jsonl)
  put_raw "$b" "bids/$other/$bid_hex.json" bids.jsonl
  # Unsigned.
  jq -c 'del(.sig)' <(head -1 orders.jsonl) >unsigned
  put_raw "$b" "orders/$(printf '%064d' 2).json" unsigned
  run -0 --separate-stderr grid-board get --max-bytes 2000 "$url" orders
  [ "$(ids <<<"$output")" = "$(ids orders.jsonl)" ] || fail "$b: orders: $output"
  [ "$(grep -c 'warning: skipped' <<<"$stderr")" = 4 ] || fail "$b: four warnings expected: $stderr"
  stderr_has "orders/$(printf '%064d' 1).json: malformed JSON"
  stderr_has "id does not match the content"
  stderr_has "larger than 2000 bytes"
  stderr_has "unsigned"
  run -0 --separate-stderr grid-board get "$url" bids
  [ "$(ids <<<"$output")" = "$(ids bids.jsonl)" ] || fail "$b: bids: $output"
  stderr_has "bids/$other/$bid_hex.json: misplaced: it belongs at bids/$oid/$bid_hex.json"
}

@test "get skips garbage, forged, oversized, unsigned and misplaced entries with one warning each" {
  for b in file webdav s3; do bad_entries "$(board "$b")" "$b"; done
}

since() {
  local url
  url=$(board "$1")
  run -0 grid-board post "$url" <(head -1 orders.jsonl)
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ "${#lines[@]}" = 1 ]
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ -z "$output" ] || fail "$1: nothing new expected: $output"
  run -0 grid-board post "$url" orders.jsonl
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ "$output" = "$(tail -1 orders.jsonl)" ] || fail "$1: only the second order expected: $output"
  # --since takes what a run printed on stderr.
  run -0 --separate-stderr grid-board get "$url" orders
  cursor=${stderr##*cursor }
  run -0 --separate-stderr grid-board get "$url" orders --since "$cursor"
  [ -z "$output" ] || fail "$1: --since: nothing new expected: $output"
  rm cursor
}

@test "--since and --cursor-file give only what is new" {
  for b in file webdav s3; do since "$b"; done
}

@test "a server that does not answer: 75 once the retries run out, nothing posted" {
  port=$(free_port)
  run -75 --separate-stderr grid-board post --retries 1 "http://127.0.0.1:$port/b/" orders.jsonl
  stderr_has "gave up after 2 attempts"
  run -75 --separate-stderr grid-board get --retries 0 "http://127.0.0.1:$port/b/" orders
  AWS_ENDPOINT_URL=http://127.0.0.1:$port run -75 --separate-stderr grid-board get --retries 0 s3://board/x orders
}

@test "a JSON folder index whose entry has a \"type\" that is no string: read as a file, not the end of the get" {
  grid-board post -q "file://$BATS_TEST_TMPDIR/srv/b" orders.jsonl
  # The board's server lists by GET only (PROPFIND is 405), its own way.
  jq -nc --args '[{name: $ARGS.positional[0], type: 5}, {name: $ARGS.positional[1], type: {a: 1}}]' \
    $(cd srv/b/orders && ls) >srv/b/orders/index.json
  /usr/bin/python3 "$ROOT/tests/flaky_http.py" --root srv >server.out 2>server.err 3>&- &
  SERVER=$!
  for _ in $(seq 100); do
    [[ -s server.out ]] && break
    sleep 0.05
  done
  port=$(awk '$1 == "port" {print $2}' server.out)
  run -0 --separate-stderr grid-board get "http://127.0.0.1:$port/b/" orders
  [ "$(ids <<<"$output")" = "$(ids orders.jsonl)" ] || fail "orders differ: $output; $stderr"
}

teardown() {
  if [ -n "${SERVER:-}" ]; then
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
  fi
  [ -d "$BATS_TEST_TMPDIR/nginx2" ] && nginx_stop "$BATS_TEST_TMPDIR/nginx2"
  [ -d "$BATS_TEST_TMPDIR/nginx-propfind" ] && nginx_stop "$BATS_TEST_TMPDIR/nginx-propfind"
  return 0
}

@test "post and get round trip on nginx listing by PROPFIND (dav-ext module, no JSON index)" {
  [ -e "$NGINX_DAV_EXT" ] || fail "$NGINX_DAV_EXT is missing: scripts/install-deps installs libnginx-mod-http-dav-ext"
  PROPFIND_PORT=$(free_port)
  nginx_start "$BATS_TEST_TMPDIR/nginx-propfind" "$PROPFIND_PORT" 127.0.0.1 propfind
  round_trip propfind
  # Only PROPFIND lists: no GET of a folder, which would be the JSON index.
  log=$BATS_TEST_TMPDIR/nginx-propfind/access.log
  grep -q '"PROPFIND /'"$T"'/bids/ ' "$log" || fail "no PROPFIND: $(cat "$log")"
  ! grep -q "\"GET /$T/[^ ]*/ " "$log" || fail "a folder listed by GET: $(grep "\"GET /$T/[^ ]*/ " "$log")"
  # The listing's times make cursors: nothing new the second time, one
  # order posted since the first.
  url=$(board propfind)
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ "${#lines[@]}" = 2 ]
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ -z "$output" ] || fail "seen again: $output"
  sign k2 '{"kind":"order","v":1,"n":3}' >new.jsonl
  grid-board post -q "$url" new.jsonl
  run -0 --separate-stderr grid-board get "$url" orders --cursor-file cursor
  [ "$(ids <<<"$output")" = "$(ids new.jsonl)" ] || fail "not the new order: $output"
}

@test "nginx stopped and started again: 75 meanwhile, then the post goes through" {
  dir=$BATS_TEST_TMPDIR/nginx2
  port=$(free_port)
  nginx_start "$dir" "$port"
  url=http://127.0.0.1:$port/
  run -0 grid-board post "$url" <(head -1 orders.jsonl)
  nginx_stop "$dir"
  run -75 --separate-stderr grid-board post --retries 0 "$url" orders.jsonl
  run -75 --separate-stderr grid-board get --retries 0 "$url" orders --cursor-file cursor
  [ ! -e cursor ]
  nginx_start "$dir" "$port"
  run -0 --separate-stderr grid-board post "$url" orders.jsonl
  stderr_has "posted 1, 1 already on the board"
  run -0 --separate-stderr grid-board get "$url" orders
  [ "${#lines[@]}" = 2 ]
}

@test "post refuses unsigned, forged and oversized messages and kinds the board does not take" {
  url=$(board file)
  jq -c 'del(.sig)' orders.jsonl >unsigned.jsonl
  run -65 --separate-stderr grid-board post "$url" unsigned.jsonl
  stderr_has "not posted: unsigned (input line 1"
  jq -c '.n = 5' orders.jsonl >forged.jsonl
  run -65 --separate-stderr grid-board post "$url" forged.jsonl
  stderr_has "id does not match"
  run -65 --separate-stderr grid-board post --max-bytes 100 "$url" orders.jsonl
  stderr_has "over --max-bytes 100"
  sign k2 '{"kind":"task","v":1}' >task.jsonl
  run -65 --separate-stderr grid-board post "$url" task.jsonl
  stderr_has "the board takes no 'task' messages"
  # --keep-going posts the good ones and still ends with 65.
  run -65 --separate-stderr grid-board post --keep-going "$url" task.jsonl orders.jsonl
  stderr_has "posted 2, 0 already"
  sign k2 '{"kind":"bid","v":1,"order":"o-1"}' >bad-place.jsonl
  run -65 --separate-stderr grid-board post "$url" bad-place.jsonl
  stderr_has "field .order"
}

@test "usage errors: a place flag of another kind, an unknown kind, a bad cursor or URL" {
  url=$(board file)
  run -64 --separate-stderr grid-board get "$url" orders --order "$ORDER"
  stderr_has "--order does not apply to orders"
  run -64 --separate-stderr grid-board get "$url" bids --for "$PUB3"
  stderr_has "(it takes --order)"
  run -64 --separate-stderr grid-board get "$url" bids --order nothex
  run -64 --separate-stderr grid-board get "$url" tasks
  stderr_has "no kind 'tasks' on the board"
  run -64 --separate-stderr grid-board get "$url" orders --since v9:1
  stderr_has "not a cursor"
  # An empty cursor, or one with an empty tag, is none grid-board printed.
  for c in '' 'v1:5:' 'v1:5:0123456789abcdef,' 'v1:5:,0123456789abcdef'; do
    run -64 --separate-stderr grid-board get "$url" orders --since "$c"
    stderr_has "cursor"
  done
  run -0 --separate-stderr grid-board get "$url" orders --since 'v1:5:0123456789abcdef'
  # Numbers in range, said in words; a watch never polls without a pause.
  run -64 --separate-stderr grid-board watch --interval 0 "$url" orders
  stderr_has "--interval: 0 is out of range: at least 0.1 s"
  run -64 --separate-stderr grid-board get --max-bytes 0 "$url" orders
  stderr_has "--max-bytes: 0 is out of range: at least 1 byte"
  run -64 --separate-stderr grid-board watch --interval soon "$url" orders
  stderr_has "soon is not a number"
  for sub in post get watch; do
    run -64 --separate-stderr grid-board "$sub" --retries 1001 "$url" orders
    stderr_has "--retries"
  done
  run -64 --separate-stderr grid-board get ftp://x/ orders
  env -u AWS_ACCESS_KEY_ID grid-board get s3://board/x orders 2>err && fail "no credentials accepted"
  grep -q "AWS_ACCESS_KEY_ID" err
  run -64 --separate-stderr grid-board results --task "$ORDER"
  run -0 --separate-stderr grid-board get "$url" results --task "$ORDER"
  run -0 --separate-stderr grid-board get "$url" verdicts --result "$ORDER"
}

@test "watch polls until --max-polls, picking up what arrives between polls" {
  url=$(board webdav)
  run -0 grid-board post "$url" <(head -1 orders.jsonl)
  (sleep 0.5 && grid-board post -q "$url" orders.jsonl) 3>&- &
  run -0 --separate-stderr timeout 20 grid-board watch --interval 0.4 --max-polls 4 "$url" orders
  wait
  [ "$(ids <<<"$output")" = "$(ids orders.jsonl)" ] || fail "watch: $output"
  [ "${#lines[@]}" = 2 ] || fail "each order once: $output"
}

@test "S3 listings are read page by page (more than 1000 entries)" {
  url=$(board s3)
  for i in $(seq 1 1005); do echo "{\"kind\":\"order\",\"v\":1,\"n\":$i}"; done | grid-key sign --key k2 >many.jsonl
  run -0 --separate-stderr grid-board post "$url" many.jsonl
  run -0 --separate-stderr grid-board get "$url" orders
  [ "${#lines[@]}" = 1005 ] || fail "got ${#lines[@]} orders"
}

@test "job-run --publish and lease-bid --publish write to s3://, proof-check --store-url reads from it" {
  jq -c '.train.steps = 20 | .train.checkpoint_every = 10' "$ROOT/examples/jobs/train.json" | job-split >small.jsonl
  run -0 --separate-stderr job-run --store S --key k3 --publish "s3://board/$T/pub" small.jsonl
  printf '%s\n' "$output" >result.jsonl
  task=$(jq -r .id small.jsonl)
  run -0 curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user "$BOARD_S3_KEY:$BOARD_S3_SECRET" \
    "http://127.0.0.1:$S3_PORT/board/$T/pub/results/${task#sha256:}.json"
  assert_equal "$output" "$(cat result.jsonl)"
  mkdir empty
  run -0 --separate-stderr proof-check --key k1 --store empty --store-url "s3://board/$T/pub" --tasks small.jsonl \
    --mode sig,trace,spot result.jsonl
  assert_jq .status accept
  assert_equal "$(find empty -type f | wc -l)" 0
  run -0 --separate-stderr lease-bid order --key k2 --max-price 10 --deadline 2h --publish "s3://board/$T/orders.jsonl" \
    small.jsonl
  run -0 curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user "$BOARD_S3_KEY:$BOARD_S3_SECRET" \
    "http://127.0.0.1:$S3_PORT/board/$T/orders.jsonl"
  assert_equal "$(jq -r .kind <<<"$output")" order
}
