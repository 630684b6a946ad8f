#!/usr/bin/env bash
# The load bench at a fixed offered load: like $SHARED/bench/callback_bench.sh (nginx logs
# each send and each callback, its analyze.py prints the line), but sends are paced by
# bench/paced_sender.py instead of wrk's as-fast-as-answered.
# usage: bench/paced.sh MOCK_PORT RATE [SECONDS] [LABEL]   (SHARED as in bench/compare.sh)
set -euo pipefail
port=${1:?mock port}; rate=${2:?sends per second}; secs=${3:-10}; label=${4:-paced}
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$(dirname "$here")/../shared}
w=$(mktemp -d /tmp/pacedbench.XXXX)
cat >"$w/nginx.conf" <<NGX
worker_processes 1;
pid $w/nginx.pid;
error_log $w/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  log_format sends '\$msec \$arg_reference \$status';
  log_format cbs '\$msec \$arg_reference \$arg_code';
  upstream mock { server 127.0.0.1:$port; keepalive 64; }
  server { listen 127.0.0.1:19080;
    location / { proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection ""; access_log $w/sends.log sends; } }
  server { listen 127.0.0.1:19090;
    location / { access_log $w/callbacks.log cbs; return 200 "OK"; } }
}
NGX
nginx -c "$w/nginx.conf" -p "$w"
trap 'kill $(cat $w/nginx.pid) 2>/dev/null || true' EXIT
sleep 0.3
RUN=$(basename "$w" | tr -dc "A-Za-z0-9") python "$here/paced_sender.py" http://127.0.0.1:19080 "$rate" "$secs"
sleep 2  # the last sends' callbacks are due 0.3 s after them
python3 "$shared/bench/analyze.py" "$w" "$secs" "$label"
