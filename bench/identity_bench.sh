#!/usr/bin/env bash
# Kubernetes identity's cost (issue 16): `trawl read CAPTURE --json` on one
# thread with a names file that names both ends of every entry (a pod of a
# Deployment with labels, a pod of a StatefulSet behind a Service), against the
# same read without, alternating runs in the same session; medians of user and
# wall seconds and their ratio. Then the name history's budget
# (trawl_names_bench: 10,000 pods, 5,000 services, 100,000 events).
# Usage: identity_bench.sh TRAWL CAPTURE [RUNS]
set -euo pipefail
trawl=$(realpath "$1")
capture=$2
runs=${3:-7}
work=$(mktemp -d /tmp/trawl-identity-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

read -r client server < <("$trawl" read "$capture" --json --threads 1 2>/dev/null | head -1 |
  python3 -c 'import json, sys; e = json.load(sys.stdin); print(e["src"]["ip"], e["dst"]["ip"])')
python3 - "$client" "$server" > "$work/names.json" <<'PY'
import json, sys
client, server = sys.argv[1:]
def pod(name, ip, labels, owner):
    return {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running", "podIP": ip},
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2020-01-01T00:00:00Z",
                         "labels": labels, "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}]}}
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    pod("wrk-5f7b9-abcde", client, {"app": "wrk", "pod-template-hash": "5f7b9", "tier": "load"}, ("ReplicaSet", "wrk-5f7b9")),
    pod("nginx-0", server, {"app": "nginx", "tier": "front"}, ("StatefulSet", "nginx")),
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "nginx-x", "namespace": "shop", "labels": {"kubernetes.io/service-name": "nginx"}},
     "ports": [{"port": 80}], "endpoints": [{"addresses": [server], "targetRef": {"kind": "Pod", "name": "nginx-0"}}]}]}))
PY
# Every entry named: the check that the comparison is what it says.
named=$("$trawl" read "$capture" --json --threads 1 --names "$work/names.json" |
  grep -c '"dst":{[^}]*"name":"nginx-0"' || true)
total=$("$trawl" read "$capture" --count 2>&1 | sed -n 's/^counted \([0-9]*\) entries.*/\1/p')
echo "## Kubernetes identity on $(basename "$capture") (one thread, $runs runs each, alternating)"
echo "entries named: $named of $total"
for i in $(seq "$runs"); do
  /usr/bin/time -f "%U %e %M" -a -o "$work/plain" "$trawl" read "$capture" --json --threads 1 > /dev/null
  /usr/bin/time -f "%U %e %M" -a -o "$work/named" "$trawl" read "$capture" --json --threads 1 \
    --names "$work/names.json" > /dev/null
done
python3 - "$work/plain" "$work/named" <<'PY'
import statistics, sys
def load(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip() and l[0].isdigit()]
    return [statistics.median(col) for col in zip(*rows)]
plain, named = load(sys.argv[1]), load(sys.argv[2])
print("| | user s | wall s | peak RSS MiB |")
print("|---|---|---|---|")
print(f"| without names | {plain[0]:.2f} | {plain[1]:.2f} | {plain[2] / 1024:.1f} |")
print(f"| with names (both ends) | {named[0]:.2f} | {named[1]:.2f} | {named[2] / 1024:.1f} |")
print(f"| ratio | {named[0] / plain[0]:.3f} | {named[1] / plain[1]:.3f} | |")
PY
echo
echo "## Name history budget (10,000 pods, 5,000 services, 100,000 events)"
"$(dirname "$trawl")/trawl_names_bench"
echo
