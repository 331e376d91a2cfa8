#!/usr/bin/env bash
# Live capture benchmarks, each beside a peer in the same run:
#  1. A saturating wrk load on nginx over a veth pair between two namespaces,
#     captured on the server's end by `trawl capture` and by `tcpdump -w`:
#     CPU used per Gbps, kernel drops, packets the packet ring could not keep,
#     entries against requests. On a machine
#     of two cores, wrk and nginx share the first and the capture has the
#     second: otherwise the load takes every core and any capture drops.
#  2. The worker's peak RSS while 10,000 connections are open at once.
# Usage: live_bench.sh TRAWL [SECONDS]
set -euo pipefail
trawl=$(realpath "$1")
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/trawl-live-bench.XXXXXX)
chmod 755 "$work"
srv=trawl-lb-srv-$$
cli=trawl-lb-cli-$$
cleanup() {
  for ns in "$srv" "$cli"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$srv"
ip netns add "$cli"
ip link add "lb$$" type veth peer name eth0 netns "$srv"
ip link set "lb$$" netns "$cli" name eth0
ip -n "$srv" addr add 10.78.0.1/24 dev eth0
ip -n "$cli" addr add 10.78.0.2/24 dev eth0
for ns in "$srv" "$cli"; do
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

mkdir -p "$work/www"
head -c 16384 /dev/urandom | base64 -w 0 | head -c 16384 > "$work/www/16k.txt"
head -c 786432 /dev/urandom | base64 -w 0 > "$work/www/1m.txt"  # 1 MiB of text
. "$here/../tests/integration/nginx.sh"
write_nginx_conf "$work" "
  keepalive_requests 1000000;
  server {
    listen 10.78.0.1:80 backlog=16384;
    root $work/www;
  }
  server {
    listen 10.78.0.1:81;
    root $work/www;
    limit_rate 8m;  # a steady load below saturation: 32 connections at 8 MB/s
  }"
sed -i 's/worker_connections 1024;/worker_connections 20000;/; s/^worker_processes 1;/worker_processes 1;\nworker_rlimit_nofile 19000;/' "$work/nginx.conf"
load_cpu=0
capture_cpu=$(( $(nproc) > 1 ? 1 : 0 ))
ip netns exec "$srv" taskset -c "$load_cpu" nginx -c "$work/nginx.conf"
sleep 0.5

iface_bytes() {
  ip netns exec "$srv" cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes |
    paste -sd+ | bc
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run: CAPTURE_COMMAND... under the wrk load on URL; records CPU, bytes, wrk requests.
run_load() {
  local name=$1 url=$2
  shift 2
  ip netns exec "$srv" taskset -c "$capture_cpu" "$@" > "$work/$name.out" 2> "$work/$name.err" &
  local pid=$!
  sleep 1.5
  local b0 c0 b1 c1
  b0=$(iface_bytes)
  c0=$(cpu_ticks "$pid")
  ip netns exec "$cli" taskset -c "$load_cpu" wrk -t1 -c32 -d"${seconds}s" "$url" > "$work/$name.wrk"
  b1=$(iface_bytes)
  c1=$(cpu_ticks "$pid")
  sleep 1  # the worker's counters are snapshots, taken every 500 ms at most
  case $name in
    trawl*) ip netns exec "$srv" curl -s "http://127.0.0.1:18990/api/stats" > "$work/$name-stats.json" ;;
  esac
  kill -INT "$pid"
  wait "$pid" || true
  local hz
  hz=$(getconf CLK_TCK)
  echo "$(( (c1 - c0) )) $hz $(( b1 - b0 ))" > "$work/$name.cost"
}

full=http://10.78.0.1/16k.txt
steady=http://10.78.0.1:81/1m.txt
run_load trawl "$full" "$trawl" capture -i eth0 --threads 1 --port 18990 --data-dir "$work/d1"
run_load trawl_entries "$full" "$trawl" capture -i eth0 --threads 1 --port 18990 --data-dir "$work/d2" --no-packets
run_load tcpdump "$full" tcpdump -i eth0 -s 0 -w "$work/tcpdump.pcap"
rm -f "$work/tcpdump.pcap"
run_load trawl_steady "$steady" "$trawl" capture -i eth0 --threads 1 --port 18990 --data-dir "$work/d3"
run_load tcpdump_steady "$steady" tcpdump -i eth0 -s 0 -w "$work/tcpdump.pcap"

python3 - "$work" "$seconds" <<'PY'
import json, re, sys
work, seconds = sys.argv[1], float(sys.argv[2])
def cost(name):
    ticks, hz, nbytes = map(int, open("%s/%s.cost" % (work, name)).read().split())
    return ticks / hz, nbytes
def requests(name):
    m = re.search(r"(\d+) requests in", open("%s/%s.wrk" % (work, name)).read())
    return int(m.group(1))
labels = {"trawl": "trawl capture (entries, store and packet ring)",
          "trawl_entries": "trawl capture --no-packets (entries and store)",
          "tcpdump": "tcpdump -w (packets to a file)",
          "trawl_steady": "trawl capture (entries, store and packet ring)",
          "tcpdump_steady": "tcpdump -w (packets to a file)"}
per = {}
def table(names, title):
    print(title)
    print()
    print("| capture | wrk requests | traffic Gbps | capture CPU s | cores per Gbps | kernel drops | packets not kept | HTTP entries | TCP gaps |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        cpu, nbytes = cost(name)
        gbps = nbytes * 8 / 1e9 / seconds
        per[name] = cpu / seconds / gbps if gbps else 0
        if name.startswith("trawl"):
            s = json.load(open("%s/%s-stats.json" % (work, name)))
            drops, http, gaps = s["live"]["kernel_drops"], s["entries"]["by_protocol"].get("http", 0), s["loss"]["tcp_gaps"]
            ring = s["packet_ring"]
            not_kept = ring["dropped_packets"] if ring["enabled"] else "-"
        else:
            m = re.search(r"(\d+) packets dropped by kernel", open("%s/%s.err" % (work, name)).read())
            drops, http, gaps, not_kept = (int(m.group(1)) if m else "?"), "-", "-", "-"
        print("| %s | %d | %.2f | %.2f | %.3f | %s | %s | %s | %s |" % (
            labels[name], requests(name), gbps, cpu, per[name], drops, not_kept, http, gaps))
    print()
table(("trawl", "trawl_entries", "tcpdump"), "Saturating (wrk -c32, 16 KB responses, as fast as one core serves them):")
table(("trawl_steady", "tcpdump_steady"), "Steady (wrk -c32 on 1 MB responses that nginx sends at 8 MB/s each):")
for a, b in (("trawl", "tcpdump"), ("trawl_entries", "tcpdump"), ("trawl_steady", "tcpdump_steady")):
    print("CPU per Gbps, %s / %s: %.2f" % (a, b, per[a] / per[b] if per[b] else 0))
PY

# 10,000 connections open at once, each with one request answered; the worker's peak RSS.
ip netns exec "$srv" "$trawl" capture -i eth0 --threads 2 --port 18990 --data-dir "$work/data10k" \
  > /dev/null 2> "$work/10k.err" &
pid=$!
sleep 1.5
ip netns exec "$cli" python3 - <<'PY'
import asyncio
async def one(i, hold):
    r, w = await asyncio.open_connection("10.78.0.1", 80)
    w.write(b"GET /16k.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    await w.drain()
    await r.readuntil(b"\r\n\r\n")
    await hold.wait()
    w.close()
async def main():
    hold = asyncio.Event()
    tasks = []
    for i in range(10000):
        tasks.append(asyncio.create_task(one(i, hold)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    await asyncio.sleep(3)
    hold.set()
    await asyncio.gather(*tasks, return_exceptions=True)
asyncio.run(main())
PY
sleep 1
ip netns exec "$srv" curl -s "http://127.0.0.1:18990/api/stats" > "$work/10k-stats.json"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -INT "$pid"
wait "$pid" || true
python3 - "$work/10k-stats.json" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print()
print("10,000 concurrent connections: worker peak RSS %.1f MiB; %d TCP flows, %d HTTP entries, kernel drops %d" % (
    int(sys.argv[2]) / 1024, s["flows"]["tcp"], s["entries"]["by_protocol"].get("http", 0), s["live"]["kernel_drops"]))
PY
