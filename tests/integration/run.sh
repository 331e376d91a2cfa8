#!/usr/bin/env bash
# Integration test: real servers and clients in namespaces, captured with tcpdump,
# dissected by trawl, checked field by field against what the clients did.
set -euo pipefail
trawl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/trawl-integration.XXXXXX)
trap 'rm -rf "$out"' EXIT
# The stand-in Kubernetes API server the identity tests use, checked with kubectl.
python3 "$here/../kube/standin_test.py"
# Live names from it: churn, faults, token rotation, restarts, offline history.
python3 "$here/../kube/live_names_test.py" "$trawl"
# A two-node cluster in namespaces: every entry named, Service calls one entry.
python3 "$here/../kube/cluster_test.py" "$trawl"
# The deployment: `trawl manifests` against the Helm chart, least privilege.
python3 "$here/../deploy/chart_test.py" "$trawl"
# trawl tap, proxy and clean against the stand-in, the test as three nodes' kubelet;
# the dashboard in chromium through the proxy.
python3 "$here/../deploy/tap_test.py" "$trawl"
# A hub over three workers: merged queries, paging, routing by id, partial answers, streams.
python3 "$here/../hub/hub_test.py" "$trawl"
# Two clusters (each its API server, worker and hub) under a top hub: one query,
# one dashboard, a call between the clusters one edge of the service map.
python3 "$here/../hub/clusters_test.py" "$trawl"

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
# Entry stages in read --serve: only what --keep matches is stored, redacted;
# the rest is counted in /metrics.
"$trawl" read "$out/h2.pcap" --serve --port "$port" --keep 'grpc' --redact 'request.headers["user-agent"]' \
  2> "$out/serve.log" &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/api/entries?limit=1000" > "$out/kept.json"
curl -sf "http://127.0.0.1:$port/metrics" > "$out/kept.metrics"
kill "$serve_pid"; wait "$serve_pid" || true
python3 - "$out/h2.jsonl" "$out/kept.json" "$out/kept.metrics" <<'PY'
import json, re, sys
all_ = [json.loads(l) for l in open(sys.argv[1])]
kept = json.load(open(sys.argv[2]))["entries"]
metrics = open(sys.argv[3]).read()
grpc = [e for e in all_ if e["protocol"]["name"] == "grpc"]
assert grpc and len(kept) == len(grpc), (len(grpc), len(kept))
assert all(e["protocol"]["name"] == "grpc" for e in kept)
assert sorted(int(e["id"]) for e in kept) == list(range(1, len(kept) + 1)), "kept entries are numbered 1..n"
assert all(e["request"]["headers"].get("user-agent", "[REDACTED]") == "[REDACTED]" for e in kept)
assert any("user-agent" in e["request"]["headers"] for e in kept)
dropped = re.search(r'^trawl_entries_dropped_total\{stage="keep"\} (\d+)$', metrics, re.M)
assert dropped and int(dropped.group(1)) == len(all_) - len(grpc), dropped
print("read --serve --keep --redact: %d of %d entries kept, the rest counted" % (len(kept), len(all_)))
PY

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
