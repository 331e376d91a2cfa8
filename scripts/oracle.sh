#!/usr/bin/env bash
# Scores trawl against tshark on ../shared/pcaps and fails below 0.98 on the
# protocol directories trawl covers. The shared skip list is extended by
# tests/oracle-skip.tsv (tshark weaknesses shown in docs/correctness.md).
set -euo pipefail
trawl=$1
shared=${2:-../shared}
skip=$(mktemp)
trap 'rm -f "$skip"' EXIT
cat "$shared/pcaps/oracle-skip.tsv" "$(dirname "$0")/../tests/oracle-skip.tsv" > "$skip"
kinds=http.req,http.resp,h2.req,h2.resp,grpc.status,ws,redis.cmd,ldap.req,ldap.resp,kafka.req,amqp.m,dns.q,dns.r,tls.ch,tls.sh,icmp,icmp.reply,sctp.chunk,tcp.conv,udp.conv
out=$(python3 "$shared/tools/oracle.py" corpus "$shared/pcaps" --skip "$skip" \
        --kinds "$kinds" --jobs 2 --worst 10 --trawl "$trawl read {} --json")
echo "$out"
summary=$(echo "$out" | grep '^{"overall"')
python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
dirs = ["http1", "http2", "grpc", "websocket", "redis", "ldap", "kafka", "amqp", "dns", "tls", "icmp", "udp", "sctp", "tcp_reassembly"]
low = {d: s["protocols"].get(d, 0.0) for d in dirs if s["protocols"].get(d, 0.0) < 0.98}
if s.get("trawl_failures"):
    print("oracle: trawl failed on %d captures" % s["trawl_failures"]); sys.exit(1)
if low:
    print("oracle: below 0.98:", low); sys.exit(1)
print("oracle: every scored directory >= 0.98")
PY
