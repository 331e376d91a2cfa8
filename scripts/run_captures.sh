#!/usr/bin/env bash
# Runs trawl (usually a sanitizer build) over every capture: the project's
# fixtures and, when present, ../shared/pcaps. A crash, hang or sanitizer report
# fails; a clear error about a damaged capture (exit 1 or 2) does not.
set -uo pipefail
trawl=$1
shared=${2:-../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87:print_stacktrace=1}

captures=(fixtures/*.pcap)
if [ -d "$shared/pcaps" ]; then
  while IFS= read -r f; do captures+=("$f"); done < <(find "$shared/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
else
  echo "run_captures: $shared/pcaps not found: only the project's fixtures are checked"
fi

failed=0
for f in "${captures[@]}"; do
  for mode in --json ""; do
    timeout 120 "$trawl" read "$f" $mode --stats > /dev/null 2> /tmp/trawl-captures.err
    rc=$?
    if [ $rc -gt 2 ]; then
      echo "FAIL ($rc) $trawl read $f $mode"
      tail -20 /tmp/trawl-captures.err
      failed=1
    fi
  done
done
echo "run_captures: ${#captures[@]} captures, $([ $failed = 0 ] && echo clean || echo FAILURES)"
exit $failed
