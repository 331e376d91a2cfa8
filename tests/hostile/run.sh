#!/usr/bin/env bash
# The hostile suite: every scenario of scenarios.py against TRAWL, each in a
# network namespace of its own (traffic never leaves it), a few at a time.
# Prints what each measured; fails when any check does.
# Usage: run.sh TRAWL [SCENARIO...]
set -uo pipefail
trawl=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
all=(origin fulldisk bitflip kill9 syn2 syn4 gzip streams queries api token descriptors files)
scenarios=("${@:-${all[@]}}")
[ $# -eq 0 ] && scenarios=("${all[@]}")
out=$(mktemp -d /tmp/trawl-hostile.XXXXXX)
parallel=${HOSTILE_PARALLEL:-2}

run_one() {
  local name=$1 ns="trawl-h-$1-$$" work="$out/$1"
  mkdir -p "$work"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" python3 "$here/scenarios.py" "$name" "$trawl" "$work" "$repo" > "$work/out.txt" 2>&1
  local rc=$?
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  cat "$work/out.txt"
  return $rc
}

failed=()
pids=()
names=()
for name in "${scenarios[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 0.2; done
  run_one "$name" &
  pids+=($!)
  names+=("$name")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name, "result.json")
    if os.path.exists(path):
        r = json.load(open(path))
        figures = ", ".join(f"{k}={v}" for k, v in sorted(r["figures"].items()))
        print(f"hostile: {name}: {r['checks'] - len(r['failures'])}/{r['checks']}" + (f"; {figures}" if figures else ""))
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "hostile: FAILED: ${failed[*]} (logs in $out)"
  exit 1
fi
rm -rf "$out"
echo "hostile: every scenario passed"
