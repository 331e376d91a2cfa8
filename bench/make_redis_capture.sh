#!/usr/bin/env bash
# Records a large Redis capture from real servers: redis-server on loopback,
# redis-benchmark as the client (pipelined, several commands, 256-byte values),
# tcpdump writing the file.
# Usage: make_redis_capture.sh OUT.pcap [MIN_MB] [PORT]
set -euo pipefail
out=$(realpath -m "$1")
min_mb=${2:-120}
port=${3:-16379}
work=$(mktemp -d /tmp/trawl-bench-redis.XXXXXX)
cleanup() {
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$work" \
  --logfile "$work/redis.log" &
server_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" PING > /dev/null 2>&1 && break; sleep 0.1; done
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port $port" 2> "$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
# Bounded: a fixed amount of load against this machine's loopback only.
for _ in $(seq 20); do
  redis-benchmark -p "$port" -n 30000 -c 4 -P 16 -d 256 -r 10000 -t set,get,incr,lpush,lpop,hset,mset -q \
    > /dev/null
  [ "$(stat -c %s "$out")" -ge $((min_mb * 1024 * 1024)) ] && break
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -E "captured|dropped" "$work/tcpdump.err" >&2 || true
chmod 644 "$out"
