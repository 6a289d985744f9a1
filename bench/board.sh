#!/usr/bin/env bash
# grid-board against plain curl on the same local servers: nginx (WebDAV)
# and SeaweedFS (S3), BOARD_BENCH_N messages (10 000) each way. curl gets
# its best case: one process (-K config), one kept-alive connection, PUTs
# to names it already knows and GETs of them, nothing checked. grid-board
# makes each post atomic and create-once (WebDAV PUT + MOVE; S3 PUT with
# If-None-Match) and each get lists the board and checks every id,
# signature and place. Target: grid-board at >= 0.5 of curl's rate.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$ROOT/build/bin:$PATH"
# shellcheck source=tests/board_servers.bash
. "$ROOT/tests/board_servers.bash"
N=${BOARD_BENCH_N:-10000}
TARGET=0.5
W=$(mktemp -d /tmp/grid-board-bench-XXXXXX)
cleanup() {
  nginx_stop "$W/nginx"
  weed_stop "$W/weed"
  rm -rf "$W"
}
trap cleanup EXIT
cd "$W"

NGINX_PORT=$(free_port)
nginx_start "$W/nginx" "$NGINX_PORT"
S3_PORT=$(free_port 8)
weed_start "$W/weed" "$S3_PORT"
s3_env "$S3_PORT"
SIGV4=(--aws-sigv4 aws:amz:us-east-1:s3 --user "$BOARD_S3_KEY:$BOARD_S3_SECRET")

printf '%s\n' 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb >buyer.key
chmod 600 buyer.key
seq 1 "$N" | jq -c '{kind: "order", v: 1, n: .}' | grid-key sign --key buyer.key >orders.jsonl
mkdir files
split -l 1 -a 6 orders.jsonl files/o
ls files >names

now() { date +%s.%N; }
# rate SECONDS: messages a second.
rate() { echo "$N / $1" | bc -l; }

# curl_config VERB BASE: a -K config for every message: PUT (upload-file)
# or GET (output) at BASE/curl/NAME.
curl_config() {
  local name
  while read -r name; do
    echo "url = \"$2/curl/$name.json\""
    if [ "$1" = put ]; then echo "upload-file = \"files/$name\""; else echo "output = \"/dev/null\""; fi
  done <names
}

report() {
  local what=$1 ours=$2 theirs=$3 ratio
  ratio=$(echo "$(rate "$ours") / $(rate "$theirs")" | bc -l)
  printf '%-22s grid-board %8.0f msg/s   curl %8.0f msg/s   ratio %.2f (target >= %s) %s\n' "$what" \
    "$(rate "$ours")" "$(rate "$theirs")" "$ratio" "$TARGET" \
    "$(echo "$ratio >= $TARGET" | bc -l | sed 's/1/ok/; s/0/BELOW/')"
}

bench() {
  local name=$1 board=$2 base=$3
  shift 3
  local t0 t1 t2 t3 t4 t5 got
  t0=$(now)
  grid-board -q post "$board" orders.jsonl
  t1=$(now)
  curl_config put "$base" | curl -sSf --parallel-max 1 "$@" -K - >/dev/null
  t2=$(now)
  got=$(grid-board -q get "$board" orders | wc -l)
  t3=$(now)
  curl_config get "$base" | curl -sSf "$@" -K - >/dev/null
  t4=$(now)
  [ "$got" = "$N" ] || { echo "board.sh: $name: got $got of $N messages" >&2; exit 1; }
  report "$name post" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
  report "$name get+verify" "$(echo "$t3 - $t2" | bc -l)" "$(echo "$t4 - $t3" | bc -l)"
}

echo "$N messages, $(nproc) cores"
bench "nginx WebDAV" "http://127.0.0.1:$NGINX_PORT/b/" "http://127.0.0.1:$NGINX_PORT/b"
bench "SeaweedFS S3" "s3://board/b" "http://127.0.0.1:$S3_PORT/board/b" "${SIGV4[@]}"
