#!/usr/bin/env bash
# Benchmark: trawl read vs tshark on a large HTTP/1.1 capture of real servers,
# in the same run (the machine is shared: compare ratios, not absolute times).
# Usage: run.sh TRAWL [CAPTURE]   (CAPTURE is made by make_http_capture.sh when absent)
set -euo pipefail
trawl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
capture=${2:-$here/out/http.pcap}
mkdir -p "$here/out"
[ -f "$capture" ] || "$here/make_http_capture.sh" "$capture" 250
size=$(stat -c %s "$capture")
mb=$(python3 -c "print(round($size / 1e6, 1))")

# Wall seconds and peak RSS (KiB) of a command, best of N runs.
measure() {
  local runs=$1; shift
  local best_t=999999 best_rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/trawl-bench.time "$@" > /dev/null 2> /dev/null
    read -r t rss < /tmp/trawl-bench.time
    if python3 -c "import sys; sys.exit(0 if $t < $best_t else 1)"; then best_t=$t; best_rss=$rss; fi
  done
  echo "$best_t $best_rss"
}

read -r json_t json_rss < <(measure 3 "$trawl" read "$capture" --json)
read -r count_t count_rss < <(measure 3 "$trawl" read "$capture" --count)
read -r tshark_t tshark_rss < <(measure 1 tshark -r "$capture" -T fields -e http.request.method \
  -e http.request.uri -e http.response.code)
# Streaming: a quarter of the capture must need the same memory as all of it.
quarter=$here/out/quarter.pcap
tcpdump -r "$capture" -c "$(( $(tcpdump -r "$capture" -qn 2>/dev/null | wc -l) / 4 ))" -w "$quarter" 2>/dev/null
read -r q_t q_rss < <(measure 1 "$trawl" read "$quarter" --json)
entries=$("$trawl" read "$capture" --count 2>&1 | sed -n 's/^counted \([0-9]*\) entries.*/\1/p')

python3 - "$mb" "$entries" "$json_t" "$json_rss" "$count_t" "$count_rss" "$tshark_t" "$tshark_rss" \
  "$q_rss" "$(stat -c %s "$quarter")" <<'PY'
import sys
mb, entries = float(sys.argv[1]), int(sys.argv[2])
json_t, json_rss, count_t, count_rss, tshark_t, tshark_rss, q_rss, q_size = map(float, sys.argv[3:])
def row(name, t, rss):
    return "| %s | %.2f | %.0f | %.0f | %.1f |" % (name, t, mb / t, entries / t, rss / 1024)
print("capture: %.1f MB, %d HTTP/1.1 entries" % (mb, entries))
print("| command | seconds | MB/s | entries/s | peak RSS MiB |")
print("|---|---|---|---|---|")
print(row("trawl read --json > /dev/null", json_t, json_rss))
print(row("trawl read --count (entries built and serialised, not written)", count_t, count_rss))
print(row("tshark -T fields (method, uri, status)", tshark_t, tshark_rss))
print()
print("trawl --json throughput / tshark: %.1fx" % (tshark_t / json_t))
print("trawl peak RSS on a quarter of the capture (%.1f MB): %.1f MiB; on all of it: %.1f MiB"
      % (q_size / 1e6, q_rss / 1024, json_rss / 1024))
ok = tshark_t / json_t >= 50 and json_rss / 1024 < 64
print("targets (>= 50x tshark, < 64 MiB): %s" % ("met" if ok else "NOT met"))
PY
