#!/usr/bin/env bash
# Records a large HTTP/1.1 capture from real servers: nginx serving JSON on
# loopback, wrk as the client, tcpdump writing the file.
# Usage: make_http_capture.sh OUT.pcap [MIN_MB]
set -euo pipefail
out=$(realpath -m "$1")
min_mb=${2:-250}
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
PY
cat > "$work/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  types { application/json json; }
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }
}
CONF
nginx -c "$work/nginx.conf"
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port $port" 2> "$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
# Bounded: a fixed number of seconds of load against this machine's loopback only.
for _ in 1 2 3 4 5 6; do
  wrk -t 1 -c 8 -d 4s "http://127.0.0.1:$port/api/orders.json" > /dev/null
  [ "$(stat -c %s "$out")" -ge $((min_mb * 1024 * 1024)) ] && break
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -E "captured|dropped" "$work/tcpdump.err" >&2 || true
chmod 644 "$out"
