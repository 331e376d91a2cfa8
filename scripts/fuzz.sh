#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS, seeded from the project's fixtures and
# ../shared/pcaps. Fails on any crash, leak, sanitizer report or timeout.
# Usage: fuzz.sh BUILD_DIR SHARED_DIR SECONDS
set -euo pipefail
build=$1
shared=$2
seconds=${3:-20}
corpus=$build/corpus
captures=(fixtures/*.pcap)
if [ -d "$shared/pcaps" ]; then
  while IFS= read -r f; do captures+=("$f"); done < <(find "$shared/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \))
fi
python3 scripts/fuzz_seeds.py "$corpus/seeds" "${captures[@]}"
for target in "$build"/*_fuzz; do
  name=$(basename "$target")
  mkdir -p "$corpus/$name"
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" "$corpus/$name" "$corpus/seeds/$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/" \
    > "$build/$name.log" 2>&1; then
    tail -40 "$build/$name.log"
    echo "fuzz: $name FAILED"
    exit 1
  fi
  grep -E "^Done" "$build/$name.log" || true
done
echo "fuzz: every target clean"
