#!/usr/bin/env bash
# Integration test: real servers and clients in namespaces, captured with tcpdump,
# dissected by trawl, checked field by field against what the clients did.
set -euo pipefail
trawl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/trawl-integration.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$here/traffic.sh" "$out/traffic.pcap"
"$trawl" read "$out/traffic.pcap" --json > "$out/entries.jsonl"
# The same capture through standard input gives the same entries.
"$trawl" read - --json < "$out/traffic.pcap" | cmp - "$out/entries.jsonl"
python3 "$here/check_entries.py" "$out/entries.jsonl"

# The HTTP family: HTTP/2, gRPC, GraphQL and WebSocket on real servers.
"$here/h2_traffic.sh" "$out/h2.pcap"
"$trawl" read "$out/h2.pcap" --json > "$out/h2.jsonl"
# etcd's KV messages again, decoded by name from a descriptor set protoc made.
protoc --include_imports --descriptor_set_out="$out/etcd.pb" -I "$here" "$here/etcd_kv.proto"
"$trawl" read "$out/h2.pcap" --json --proto-descriptors "$out/etcd.pb" > "$out/h2-schema.jsonl"
python3 "$here/check_h2_entries.py" "$out/h2.jsonl" "$out/h2.pcap.large.txt" "$out/h2-schema.jsonl"
# The same through read --serve: the API's entries carry the names too.
port=$((20000 + $$ % 20000))
"$trawl" read "$out/h2.pcap" --serve --port "$port" --proto-descriptors "$out/etcd.pb" 2> "$out/serve.log" &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/api/entries?q=grpc&limit=1000" |
  python3 -c 'import json, sys; [print(json.dumps(e)) for e in json.load(sys.stdin)["entries"][::-1]]' \
  > "$out/h2-served.jsonl"
kill "$serve_pid"; wait "$serve_pid" || true
python3 "$here/check_h2_entries.py" "$out/h2.jsonl" "$out/h2.pcap.large.txt" "$out/h2-served.jsonl"

# Redis on a real redis-server.
"$here/redis_traffic.sh" "$out/redis.pcap"
"$trawl" read "$out/redis.pcap" --json > "$out/redis.jsonl"
python3 "$here/check_redis_entries.py" "$out/redis.jsonl"

# LDAP on a real slapd.
"$here/ldap_traffic.sh" "$out/ldap.pcap"
"$trawl" read "$out/ldap.pcap" --json > "$out/ldap.jsonl"
python3 "$here/check_ldap_entries.py" "$out/ldap.jsonl"

# Kafka on librdkafka's mock cluster, driven by kcat.
"$here/kafka_traffic.sh" "$out/kafka.pcap"
"$trawl" read "$out/kafka.pcap" --json > "$out/kafka.jsonl"
python3 "$here/check_kafka_entries.py" "$out/kafka.jsonl" "$out/kafka.pcap.consumed.txt"

# AMQP 0-9-1 on a real rabbitmq-server, with amqp-tools and amqplib.
"$here/amqp_traffic.sh" "$out/amqp.pcap"
"$trawl" read "$out/amqp.pcap" --json > "$out/amqp.jsonl"
python3 "$here/check_amqp_entries.py" "$out/amqp.jsonl"

# The worker live: trawl capture on the bridge, the query API, the stream, pcap export.
"$here/worker_live.sh" "$trawl"
