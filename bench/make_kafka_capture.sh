#!/usr/bin/env bash
# Records a large Kafka capture from real clients: librdkafka's mock cluster
# (tests/integration/kafka_mock.c) on loopback, kcat producing keyed 200-byte
# messages to two topics (uncompressed and lz4) and consuming them all back,
# tcpdump writing the file.
# Usage: make_kafka_capture.sh OUT.pcap [MESSAGES]
set -euo pipefail
out=$(realpath -m "$1")
messages=${2:-250000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/trawl-bench-kafka.XXXXXX)
cleanup() {
  exec 7>&- 2>/dev/null || true
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  [ -n "${mock_pid:-}" ] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cc -O1 -o "$work/kafka_mock" "$here/../tests/integration/kafka_mock.c" -lrdkafka
mkfifo "$work/mock.in"
"$work/kafka_mock" < "$work/mock.in" > "$work/mock.out" &
mock_pid=$!
exec 7> "$work/mock.in"
for _ in $(seq 100); do [ -s "$work/mock.out" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/mock.out")
python3 -c "
import random
random.seed(7)
words = ['order', 'created', 'paid', 'shipped', 'user', 'item', 'price', 'region', 'eu', 'us']
for i in range($messages):
    body = ' '.join(random.choice(words) for _ in range(30))[:190]
    print('key-%d:{\"seq\":%d,\"text\":\"%s\"}' % (i % 1000, i, body))
" > "$work/messages.txt"
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port ${bootstrap##*:}" 2> "$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
for codec in none lz4; do
  kcat -P -b "$bootstrap" -t "bench-$codec" -z "$codec" -K: -l "$work/messages.txt"
  kcat -C -b "$bootstrap" -t "bench-$codec" -o beginning -e -q > /dev/null
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -E "captured|dropped" "$work/tcpdump.err" >&2 || true
echo "${bootstrap##*:}" > "$out.port"
chmod 644 "$out"
