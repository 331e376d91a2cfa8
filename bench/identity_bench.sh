#!/usr/bin/env bash
# Kubernetes identity's cost (issue 16): `trawl read CAPTURE` (--json, and
# --count) on one thread with a names file that names both ends of every entry
# (a pod of a Deployment with labels, a pod of a StatefulSet behind a Service),
# against the same read without, alternating runs in the same session; medians
# of CPU (user and system) and wall seconds, their ratio, and the ratio of the read without
# names to itself (the noise). Then the instructions of both reads (callgrind),
# and the name history's budget (trawl_names_bench: 10,000 pods, 5,000
# services, 100,000 events).
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
# Times from getrusage and perf_counter: /usr/bin/time's 10 ms steps are too
# coarse for reads of 0.4 s. CPU seconds are user and system together: the
# kernel splits a run's time between the two by its ticks, so user seconds
# alone scattered by 4% between runs of the same read here, their sum by 1%.
# The read without names runs twice per round: the ratio of its two is this
# machine's noise, the resolution of the rest. Each round runs the variants
# in a new random order, so none is always the one after the others.
python3 - "$runs" "$trawl" "$capture" "$work/names.json" <<'PY'
import os, random, resource, shutil, statistics, subprocess, sys, time
runs, trawl, capture, names = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
variants = {"without names": [], "without names, again": [], "with names (both ends)": []}
random.seed(16)
# Every run on the same core (the last): a run the scheduler moves to another
# core halfway starts again with cold caches.
pin = ["taskset", "-c", str(max(os.sched_getaffinity(0)))] if shutil.which("taskset") else []
for _ in range(runs):
    for fmt in ("--json", "--count"):
        for name in random.sample(list(variants), len(variants)):
            extra = ["--names", names] if "with names" in name else []
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([*pin, trawl, "read", capture, fmt, "--threads", "1", *extra],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            variants[name].append((fmt, cpu, wall))
def med(name, fmt, i):
    return statistics.median(r[i] for r in variants[name] if r[0] == fmt)
print("| | --json CPU s | --json wall s | --count CPU s | --count wall s |")
print("|---|---|---|---|---|")
for name in variants:
    print(f"| {name} | {med(name, '--json', 1):.3f} | {med(name, '--json', 2):.3f} | "
          f"{med(name, '--count', 1):.3f} | {med(name, '--count', 2):.3f} |")
# Each round's runs follow each other, so the machine's slow spells touch
# both: the median of the rounds' ratios is steadier than the ratio of medians.
def paired(b, a, fmt, i):
    xs = [r for r in variants[a] if r[0] == fmt]
    ys = [r for r in variants[b] if r[0] == fmt]
    return statistics.median(y[i] / x[i] for x, y in zip(xs, ys))
def ratio(label, b, a, of):
    print(f"| {label} | {of(b, a, '--json', 1):.3f} | {of(b, a, '--json', 2):.3f} | "
          f"{of(b, a, '--count', 1):.3f} | {of(b, a, '--count', 2):.3f} |")
medians = lambda b, a, fmt, i: med(b, fmt, i) / med(a, fmt, i)
a, again, b = variants
ratio("ratio of medians, with names / without", b, a, medians)
ratio("median of the rounds' ratios", b, a, paired)
ratio("noise: without, again / without (rounds' ratios)", again, a, paired)
PY
# Instructions, which this machine's noise does not touch (valgrind's
# callgrind, both reads at once: a minute or two for the dense capture).
if command -v valgrind > /dev/null; then
  for v in without with; do
    extra=()
    [ $v = with ] && extra=(--names "$work/names.json")
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$trawl" read "$capture" --json \
      --threads 1 "${extra[@]}" > /dev/null 2> "$work/$v.callgrind" &
  done
  wait
  python3 - "$work" <<'PY'
import re, sys
count = {v: int(re.search(r"Collected : (\d+)", open(f"{sys.argv[1]}/{v}.callgrind").read()).group(1))
         for v in ("without", "with")}
print(f"instructions (--json): without names {count['without']:,}, with {count['with']:,}, "
      f"ratio {count['with'] / count['without']:.3f}")
PY
fi
echo
echo "## Name history budget (10,000 pods, 5,000 services, 100,000 events)"
"$(dirname "$trawl")/trawl_names_bench"
echo
