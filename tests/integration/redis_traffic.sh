#!/usr/bin/env bash
# Redis on real servers: redis-server in one namespace, redis-cli and
# redis-benchmark in another (strings, lists, hashes, an error, AUTH, pipelining
# with --pipe, pub/sub, MULTI/EXEC, RESP3, a second port found by content),
# recorded on the bridge with tcpdump into OUT.pcap.
# Usage: redis_traffic.sh OUT.pcap
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=rd$$
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-redis.XXXXXX)
cleanup() {
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT
netns_up

for port in 6379 7777; do
  in_srv redis-server --bind "$SRV_IP" --port "$port" --save "" --appendonly no \
    --protected-mode no --dir "$work" --logfile "$work/redis-$port.log" &
done
for port in 6379 7777; do
  for _ in $(seq 100); do
    in_cli redis-cli -h "$SRV_IP" -p "$port" PING > /dev/null 2>&1 && break
    sleep 0.1
  done
done

capture_start "$out" 6379

cli() { in_cli redis-cli -h "$SRV_IP" "$@" > /dev/null 2>&1 || true; }
cli SET greeting "hello trawl"
cli GET greeting
cli INCR greeting                       # an error: not an integer
cli RPUSH queue one two three
cli LRANGE queue 0 -1
cli HSET user:1 name ada lang c++
cli HGETALL user:1
cli AUTH s3cret-password                # no password is set: an error, still redacted
cli -3 HGETALL user:1                   # RESP3: HELLO 3, then a map
cli -p 7777 SET on-another-port yes     # found by content, not by port
# Mass insertion: 10,000 commands written as fast as the socket takes them,
# thousands in flight before the first reply.
python3 -c "
import sys
out = b''
for i in range(10000):
    k, v = b'pipe:%d' % i, b'value-%d' % i
    out += b'*3\r\n\$3\r\nSET\r\n\$%d\r\n%s\r\n\$%d\r\n%s\r\n' % (len(k), k, len(v), v)
sys.stdout.buffer.write(out)" > "$work/pipe.resp"
in_cli redis-cli -h "$SRV_IP" --pipe < "$work/pipe.resp" > /dev/null
# A transaction on one connection.
printf 'MULTI\nSET tx 1\nINCR tx\nEXEC\n' | in_cli redis-cli -h "$SRV_IP" > /dev/null
# Pub/sub: a subscriber sees two messages.
ip netns exec "$NS_CLI" timeout -s INT 2 redis-cli -h "$SRV_IP" SUBSCRIBE news > /dev/null 2>&1 &
sub_pid=$!
sleep 0.5
cli PUBLISH news "first story"
cli PUBLISH news "second story"
wait "$sub_pid" || true
# A short benchmark: pipelined SETs and GETs.
in_cli redis-benchmark -h "$SRV_IP" -n 200 -c 2 -P 4 -t set,get -q > /dev/null

capture_stop
