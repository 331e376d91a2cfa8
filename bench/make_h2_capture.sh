#!/usr/bin/env bash
# Records a large HTTP/2 (h2c) capture from real servers: nghttpd serving JSON on
# loopback, h2load as the client with many concurrent streams per connection,
# tcpdump writing the file.
# Usage: make_h2_capture.sh OUT.pcap [MIN_MB] [PORT]
set -euo pipefail
out=$(realpath -m "$1")
min_mb=${2:-150}
port=${3:-18098}
work=$(mktemp -d /tmp/trawl-bench-h2.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www/api"
python3 - "$work/www/api" <<'PY'
import json, sys
for n, name in ((24, "orders.json"), (3, "order.json")):
    orders = [{"id": i, "customer": "customer-%d" % (i % 97), "status": ["new", "paid", "shipped"][i % 3],
               "items": [{"sku": "sku-%d" % (i * 7 + k), "qty": k + 1, "price": round(9.99 * (k + 1), 2)}
                         for k in range(3)]}
              for i in range(n)]
    open(sys.argv[1] + "/" + name, "w").write(json.dumps({"orders": orders}))
PY
nghttpd --no-tls -a 127.0.0.1 -d "$work/www" "$port" > /dev/null 2>&1 &
server_pid=$!
sleep 0.5
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port $port" 2> "$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
# Bounded: a fixed amount of load against this machine's loopback only.
for _ in $(seq 20); do
  h2load -n 40000 -c 4 -m 16 "http://127.0.0.1:$port/api/orders.json" \
    "http://127.0.0.1:$port/api/order.json?page=2" > /dev/null
  [ "$(stat -c %s "$out")" -ge $((min_mb * 1024 * 1024)) ] && break
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -E "captured|dropped" "$work/tcpdump.err" >&2 || true
chmod 644 "$out"
