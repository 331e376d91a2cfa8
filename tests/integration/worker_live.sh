#!/usr/bin/env bash
# The worker live: nginx and redis-server in one namespace, `trawl capture` on
# the bridge (promiscuous: a bridge hands on frames between its ports to its
# own taps only then), curl and redis-cli in another. Entries must arrive through the
# WebSocket stream (trawl tail) and the query API with the right fields, an
# entry's connection must come back as a pcap tshark reads, and a restart must
# find every entry again.
# Usage: worker_live.sh TRAWL
set -euo pipefail
trawl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=wk$$
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-worker.XXXXXX)
chmod 755 "$work"
capture_pid=""
cleanup() {
  [ -n "$capture_pid" ] && kill "$capture_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT
netns_up
ip -n "$NS_BR" link set lo up  # the worker's API listens on the bridge host's loopback

mkdir -p "$work/www"
echo '{"live":true}' > "$work/www/live.json"
. "$here/nginx.sh"
write_nginx_conf "$work" "
  server {
    listen $SRV_IP:80;
    root $work/www;
  }"
in_srv nginx -c "$work/nginx.conf"
in_srv redis-server --bind "$SRV_IP" --port 6379 --save "" --appendonly no \
  --protected-mode no --dir "$work" --logfile "$work/redis.log" &

port=18899
api() { in_br curl -s --max-time 10 "$@"; }
start_capture() {
  ip netns exec "$NS_BR" "$trawl" capture -i br0 --promisc --threads 2 --port "$port" \
    --data-dir "$work/data" 2> "$work/capture-$1.log" &
  capture_pid=$!
  for _ in $(seq 100); do
    api "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "worker_live: trawl capture did not come up:" >&2
  cat "$work/capture-$1.log" >&2
  exit 1
}
stop_capture() {
  kill -TERM "$capture_pid"
  wait "$capture_pid" || { echo "worker_live: trawl capture exited with $?" >&2; exit 1; }
  capture_pid=""
}

# Redis is up before the capture starts: its readiness pings are no entries.
for _ in $(seq 100); do
  in_cli redis-cli -h "$SRV_IP" PING > /dev/null 2>&1 && break
  sleep 0.1
done
start_capture 1
# The live stream, subscribed before the traffic starts.
ip netns exec "$NS_BR" timeout 20 "$trawl" tail 'http or redis' --json \
  --server "127.0.0.1:$port" > "$work/tail.jsonl" 2> "$work/tail.err" &
tail_pid=$!
sleep 0.5

for i in 1 2 3; do
  in_cli curl -s -o /dev/null --max-time 5 "http://$SRV_IP/live.json?n=$i"
done
in_cli curl -s -o /dev/null --max-time 5 "http://$SRV_IP/not-there"
in_cli redis-cli -h "$SRV_IP" SET live:key "captured live" > /dev/null
in_cli redis-cli -h "$SRV_IP" GET live:key > /dev/null
sleep 1.5  # entries are committed every 200 ms; the stream is immediate

api "http://127.0.0.1:$port/api/entries?limit=50&q=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("http or redis"))')" \
  > "$work/page.json"
api "http://127.0.0.1:$port/api/entries?q=http%20and%20response.status%20%3D%3D%20404" > "$work/404.json"
api "http://127.0.0.1:$port/api/entries?q=http%20and" > "$work/bad-query.json"
api "http://127.0.0.1:$port/api/validate?q=redis%20and%20request.command%20%3D%3D%20%22GET%22" > "$work/validate.json"
api "http://127.0.0.1:$port/api/stats" > "$work/stats.json"
api "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
api -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/api/entries/999999" > "$work/missing.code"
api -o /dev/null -w "%{http_code}" -X POST "http://127.0.0.1:$port/api/entries" > "$work/post.code"
printf 'NOT HTTP\r\n\r\n' | in_br timeout 5 python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $port))
s.sendall(sys.stdin.buffer.read())
print(s.recv(200).split(b'\r\n')[0].decode())" > "$work/garbage.txt"
# The connection behind the GET of /live.json?n=2, as a pcap.
id=$(python3 -c "
import json, sys
page = json.load(open('$work/page.json'))
print(next(e['id'] for e in page['entries'] if e['request'].get('url') == '/live.json?n=2'))")
api -o "$work/entry.pcap" "http://127.0.0.1:$port/api/entries/$id/pcap"
tshark -r "$work/entry.pcap" -Y http.request -T fields -e http.request.uri > "$work/pcap-uris.txt" 2>/dev/null
wait "$tail_pid" || true
stop_capture

# A restart finds every entry again (the store is on disk).
start_capture 2
api "http://127.0.0.1:$port/api/entries?limit=50&q=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("http or redis"))')" \
  > "$work/page-after-restart.json"
stop_capture

python3 "$here/check_worker.py" "$work"
