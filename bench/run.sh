#!/usr/bin/env bash
# Benchmark: trawl read vs tshark on large captures of real servers (HTTP/1.1:
# nginx + wrk; HTTP/2: nghttpd + h2load; Redis: redis-server + redis-benchmark;
# Kafka: librdkafka's mock cluster + kcat), in the same run (the machine is
# shared: compare ratios, not absolute times); then the worker's store (append
# and queries over 10M entries, beside zstd/grep) and live capture (beside tcpdump).
# Usage: run.sh TRAWL [http1|dense|identity|hub|http2|redis|kafka|store|live|ui|all]   (captures are made when absent)
set -euo pipefail
trawl=$(realpath "$1")
which=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/out"

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

# run_once T_VAR RSS_VAR COMMAND...: one run, kept in the two variables when
# it is the fastest so far.
run_once() {
  local -n best_t=$1 best_rss=$2
  shift 2
  /usr/bin/time -f "%e %M" -o /tmp/trawl-bench.time "$@" > /dev/null 2> /dev/null
  read -r t rss < /tmp/trawl-bench.time
  if python3 -c "import sys; sys.exit(0 if $t < $best_t else 1)"; then best_t=$t; best_rss=$rss; fi
}

# compare TITLE CAPTURE TSHARK_ARGS...: one table of trawl against tshark.
compare() {
  local title=$1 capture=$2; shift 2
  local size mb q_t q_rss entries quarter
  size=$(stat -c %s "$capture")
  mb=$(python3 -c "print(round($size / 1e6, 1))")
  local json_t=999999 one_t=999999 count_t=999999 tshark_t=999999
  local json_rss=0 one_rss=0 count_rss=0 tshark_rss=0
  # tshark and trawl take turns, each keeping its best of three: the machine is
  # shared, and one tshark run here ranged 27.7-48.8 s; taking turns, both see
  # the same slow and fast spells.
  for _ in $(seq "${TSHARK_RUNS:-3}"); do
    run_once tshark_t tshark_rss tshark -r "$capture" "$@"
    run_once json_t json_rss "$trawl" read "$capture" --json
    run_once one_t one_rss "$trawl" read "$capture" --json --threads 1
    run_once count_t count_rss "$trawl" read "$capture" --count
  done
  # Streaming: a quarter of the capture must need the same memory as all of it.
  quarter=$here/out/quarter.pcap
  tcpdump -r "$capture" -c "$(( $(tcpdump -r "$capture" -qn 2>/dev/null | wc -l) / 4 ))" -w "$quarter" 2>/dev/null
  read -r q_t q_rss < <(measure 1 "$trawl" read "$quarter" --json)
  entries=$("$trawl" read "$capture" --count 2>&1 | sed -n 's/^counted \([0-9]*\) entries.*/\1/p')
  python3 - "$title" "$mb" "$entries" "$json_t" "$json_rss" "$count_t" "$count_rss" "$tshark_t" \
    "$tshark_rss" "$q_rss" "$(stat -c %s "$quarter")" "tshark $*" "$one_t" "$one_rss" "$(nproc)" \
    "${like_for_like:-yes}" <<'PY'
import sys
title, tshark_cmd = sys.argv[1], sys.argv[12]
mb, entries = float(sys.argv[2]), int(sys.argv[3])
json_t, json_rss, count_t, count_rss, tshark_t, tshark_rss, q_rss, q_size = map(float, sys.argv[4:12])
one_t, one_rss, cores = float(sys.argv[13]), float(sys.argv[14]), int(sys.argv[15])
like_for_like = sys.argv[16] == "yes"
def row(name, t, rss):
    return "| %s | %.2f | %.0f | %.0f | %.1f |" % (name, t, mb / t, entries / t, rss / 1024)
print("## %s: %.1f MB, %d entries" % (title, mb, entries))
print("| command | seconds | MB/s | entries/s | peak RSS MiB |")
print("|---|---|---|---|---|")
print(row("trawl read --json > /dev/null (%d threads)" % min(cores, 4), json_t, json_rss))
print(row("trawl read --json --threads 1 > /dev/null", one_t, one_rss))
print(row("trawl read --count (entries built and serialised, not written)", count_t, count_rss))
print(row("`%s`" % tshark_cmd.replace(" -r F", ""), tshark_t, tshark_rss))
print()
print("trawl --json throughput / tshark: %.1fx (one thread: %.1fx)" % (tshark_t / json_t, tshark_t / one_t))
print("trawl peak RSS on a quarter of the capture (%.1f MB): %.1f MiB; on all of it: %.1f MiB"
      % (q_size / 1e6, q_rss / 1024, json_rss / 1024))
ok = tshark_t / json_t >= 50 and json_rss / 1024 < 64
if like_for_like:
    print("targets (>= 50x tshark, < 64 MiB): %s; 50x on one thread: %s"
          % ("met" if ok else "NOT met", "met" if tshark_t / one_t >= 50 else "NOT met"))
else:
    print("(tshark here decodes less than trawl's entries hold: no target, for reference)")
print()
PY
}

if [ "$which" = all ] || [ "$which" = http1 ]; then
  capture=$here/out/http.pcap
  [ -f "$capture" ] || "$here/make_http_capture.sh" "$capture" 250
  compare "HTTP/1.1 (nginx + wrk)" "$capture" -T fields -e http.request.method \
    -e http.request.uri -e http.response.code
fi
if [ "$which" = all ] || [ "$which" = dense ]; then
  # Small calls on keep-alive connections: entries per second, not bytes, decide.
  capture=$here/out/dense.pcap
  [ -f "$capture" ] || "$here/make_http_capture.sh" "$capture" 200 /api/order.json
  compare "HTTP/1.1 dense small calls (nginx + wrk, keep-alive)" "$capture" -T fields \
    -e http.request.method -e http.request.uri -e http.response.code
fi
if [ "$which" = all ] || [ "$which" = identity ]; then
  capture=$here/out/dense.pcap
  [ -f "$capture" ] || "$here/make_http_capture.sh" "$capture" 200 /api/order.json
  command -v valgrind > /dev/null || apt-get install -y -o DPkg::Lock::Timeout=600 valgrind > /dev/null
  "$here/identity_bench.sh" "$trawl" "$capture" 15
fi
if [ "$which" = all ] || [ "$which" = hub ]; then
  capture=$here/out/dense.pcap
  [ -f "$capture" ] || "$here/make_http_capture.sh" "$capture" 200 /api/order.json
  python3 "$here/hub_bench.py" "$trawl" "$capture" 5
  command -v tcpreplay > /dev/null || apt-get install -y -o DPkg::Lock::Timeout=600 tcpreplay > /dev/null
  python3 "$here/stream_bench.py" "$trawl" "$capture" 15 20000
fi
if [ "$which" = all ] || [ "$which" = http2 ]; then
  capture=$here/out/h2.pcap
  [ -f "$capture" ] || "$here/make_h2_capture.sh" "$capture" 150 18098
  compare "HTTP/2 h2c (nghttpd + h2load)" "$capture" -d tcp.port==18098,http2 -T fields \
    -e http2.headers.path
fi
if [ "$which" = all ] || [ "$which" = redis ]; then
  capture=$here/out/redis.pcap
  [ -f "$capture" ] || "$here/make_redis_capture.sh" "$capture" 120 16379
  compare "Redis (redis-server + redis-benchmark, pipelined)" "$capture" \
    -d tcp.port==16379,resp -T fields -e resp.bulk_string.value -e resp.string -e resp.integer
fi
if [ "$which" = all ] || [ "$which" = kafka ]; then
  capture=$here/out/kafka.pcap
  [ -f "$capture" ] || "$here/make_kafka_capture.sh" "$capture" 250000
  port=$(cat "$capture.port")
  # trawl's entries carry topics, error codes and (up to 100 per message) record
  # keys and values, so tshark is asked for the same; then for headers alone.
  compare "Kafka (mock cluster + kcat produce/consume, tshark with records)" "$capture" \
    -d "tcp.port==$port,kafka" -T fields -e kafka.request_key -e kafka.correlation_id \
    -e kafka.topic_name -e kafka.error -e kafka.message_key -e kafka.message_value
  like_for_like=no compare "Kafka (the same capture, tshark with headers only)" "$capture" \
    -d "tcp.port==$port,kafka" -T fields -e kafka.request_key -e kafka.correlation_id \
    -e kafka.topic_name -e kafka.error
fi
if [ "$which" = all ] || [ "$which" = store ]; then
  # The store: entries of the HTTP and Redis captures (and the demo's DNS),
  # 10 million of them, appended then queried.
  for c in http redis; do [ -f "$here/out/$c.pcap" ] || { echo "run.sh: run the $c benchmark first" >&2; exit 1; }; done
  echo "## Store (10 million entries)"
  "$(dirname "$trawl")/trawl_store_bench" "$here/out/http.pcap,$here/out/redis.pcap,$here/../fixtures/demo.pcap" \
    "$here/out/store" 10000000
  echo
fi
if [ "$which" = all ] || [ "$which" = live ]; then
  echo "## Live capture (veth pair, wrk on nginx; 10,000 connections)"
  "$here/live_bench.sh" "$trawl" 10
fi
if [ "$which" = all ] || [ "$which" = ui ]; then
  echo "## Dashboard under a live stream (>= 5,000 entries/s for 30 s)"
  (cd "$here/../ui" && node tests/perf.mjs "$trawl" 30 20000)
  echo "## The same, keeping 100,000 rows"
  (cd "$here/../ui" && node tests/perf.mjs "$trawl" 30 100000)
fi
