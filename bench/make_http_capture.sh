#!/usr/bin/env bash
# Records a large HTTP/1.1 capture from real servers: nginx serving JSON on
# loopback, wrk as the client, tcpdump writing the file.
# PATH picks the answer: /api/orders.json (24 orders, 5 KB: the default) or
# /api/order.json (one small order, as most service-to-service calls are).
# Usage: make_http_capture.sh OUT.pcap [MIN_MB] [PATH]
set -euo pipefail
out=$(realpath -m "$1")
min_mb=${2:-250}
path=${3:-/api/orders.json}
work=$(mktemp -d /tmp/trawl-bench.XXXXXX)
chmod 755 "$work"
port=18099
cleanup() {
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www/api"
python3 - "$work/www/api" <<'PY'
import json, sys
orders = [{"id": i, "customer": "customer-%d" % (i % 97), "status": ["new", "paid", "shipped"][i % 3],
           "items": [{"sku": "sku-%d" % (i * 7 + k), "qty": k + 1, "price": round(9.99 * (k + 1), 2)}
                     for k in range(3)]}
          for i in range(24)]
open(sys.argv[1] + "/orders.json", "w").write(json.dumps({"orders": orders}))
open(sys.argv[1] + "/order.json", "w").write(json.dumps({"id": 7, "status": "paid", "total": 29.97}))
PY
. "$(dirname "$0")/../tests/integration/nginx.sh"
write_nginx_conf "$work" "
  types { application/json json; }
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }"
nginx -c "$work/nginx.conf"
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port $port" 2> "$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
# Bounded: a fixed number of seconds of load against this machine's loopback only.
for _ in 1 2 3 4 5 6; do
  wrk -t 1 -c 8 -d 4s "http://127.0.0.1:$port$path" > /dev/null
  [ "$(stat -c %s "$out")" -ge $((min_mb * 1024 * 1024)) ] && break
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -E "captured|dropped" "$work/tcpdump.err" >&2 || true
chmod 644 "$out"
