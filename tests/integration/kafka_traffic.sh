#!/usr/bin/env bash
# Kafka on librdkafka's mock brokers (kafka_mock.c) with kcat: produce with each
# compression codec, consume, list metadata, a consumer group, and an injected
# error. The mock listens on 127.0.0.1 in the server namespace; socat relays it
# over the bridge (SRV_IP:9092), and a second socat in the client namespace
# makes the advertised 127.0.0.1:PORT reach it, so all broker traffic crosses
# the bridge, where tcpdump records it into OUT.pcap. The consumed messages are
# saved in OUT.pcap.consumed.txt for the checks.
# Usage: kafka_traffic.sh OUT.pcap
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=kf$$
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-kafka.XXXXXX)
cleanup() {
  exec 7>&- 2>/dev/null || true
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT
netns_up

cc -O1 -Wall -o "$work/kafka_mock" "$here/kafka_mock.c" -lrdkafka
mkfifo "$work/mock.in"
in_srv "$work/kafka_mock" < "$work/mock.in" > "$work/mock.out" 2> "$work/mock.err" &
exec 7> "$work/mock.in"
for _ in $(seq 100); do
  [ -s "$work/mock.out" ] && break
  sleep 0.1
done
bootstrap=$(head -1 "$work/mock.out")
port=${bootstrap##*:}
[ -n "$port" ] || { echo "kafka_traffic.sh: the mock cluster did not start" >&2; exit 1; }
in_srv socat "TCP-LISTEN:9092,bind=$SRV_IP,reuseaddr,fork" "TCP:127.0.0.1:$port" &
in_cli socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "TCP:$SRV_IP:9092" &
for _ in $(seq 100); do
  in_cli bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break
  sleep 0.1
done

capture_start "$out" 9092

kcat() { in_cli timeout 30 kcat -b "127.0.0.1:$port" "$@"; }
# Per codec, its own topic: two keyed messages with a header, in one batch on
# partition 0, long enough to compress (librdkafka sends a batch uncompressed
# when compression would not make it smaller).
filler=$(printf 'compressible %.0s' $(seq 20))
for codec in none gzip snappy lz4 zstd; do
  printf 'key-1:%s value one %s\nkey-2:%s value two %s\n' "$codec" "$filler" "$codec" "$filler" |
    kcat -P -t "topic-$codec" -p 0 -z "$codec" -K: -H trace=abc123 -X linger.ms=200
done
for codec in none gzip snappy lz4 zstd; do
  kcat -C -t "topic-$codec" -o beginning -e -q -f '%t %k %s\n'
done > "$out.consumed.txt"
kcat -L > /dev/null
# A consumer group: FindCoordinator, JoinGroup, SyncGroup, OffsetFetch/Commit, LeaveGroup.
kcat -G trawl-group -o beginning -e -q topic-gzip > /dev/null 2>&1 || true
# The next Produce fails once with NOT_LEADER_OR_FOLLOWER (6); the client retries.
echo "error 0 6" >&7
sleep 0.2
echo "key-3:after an error" | kcat -P -t orders -p 1 -K:

capture_stop
