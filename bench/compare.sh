#!/usr/bin/env bash
# Two builds of trawl in one run, on the bench captures (bench/out/, made by
# run.sh): `read --json` on every core and on one, and `--count`, each run
# alternately with the old and the new build; the median seconds and peak RSS
# of each, and the ratio new/old (under 1: faster). Then the store benchmark of
# each build (STORE_ENTRIES entries, 0 to skip).
# Usage: compare.sh OLD_BUILD_DIR NEW_BUILD_DIR [RUNS]
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
runs=${3:-7}
here=$(cd "$(dirname "$0")" && pwd)
store_entries=${STORE_ENTRIES:-10000000}

time_of() {  # seconds and peak RSS (KiB) of one run
  /usr/bin/time -f "%e %M" -o /tmp/trawl-compare.time "$@" > /dev/null 2> /dev/null
  cat /tmp/trawl-compare.time
}

echo "| capture | command | old s | new s | new/old | old RSS MiB | new RSS MiB |"
echo "|---|---|---|---|---|---|---|"
for c in http dense h2 redis kafka; do
  capture=$here/out/$c.pcap
  [ -f "$capture" ] || { echo "compare.sh: $capture missing (bench/run.sh makes it)" >&2; continue; }
  for args in "--json" "--json --threads 1" "--count"; do
    : > /tmp/trawl-compare.old
    : > /tmp/trawl-compare.new
    for _ in $(seq "$runs"); do
      # shellcheck disable=SC2086
      time_of "$old/trawl" read "$capture" $args >> /tmp/trawl-compare.old
      # shellcheck disable=SC2086
      time_of "$new/trawl" read "$capture" $args >> /tmp/trawl-compare.new
    done
    python3 - "$c" "$args" <<'PY'
import statistics, sys
def load(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows) / 1024
ot, orss = load("/tmp/trawl-compare.old")
nt, nrss = load("/tmp/trawl-compare.new")
print("| %s | `read %s` | %.3f | %.3f | %.3f | %.1f | %.1f |" % (sys.argv[1], sys.argv[2], ot, nt, nt / ot, orss, nrss))
PY
  done
done
if [ "$store_entries" -gt 0 ]; then
  captures="$here/out/http.pcap,$here/out/redis.pcap,$here/../fixtures/demo.pcap"
  for build in "$old" "$new"; do
    echo
    echo "### Store, $store_entries entries: $build"
    "$build/trawl_store_bench" "$captures" "$here/out/store-compare" "$store_entries"
  done
  rm -rf "$here/out/store-compare"
fi
