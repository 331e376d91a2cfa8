#!/usr/bin/env bash
# `trawl read FILE --json` must not change by accident: the SHA-256 of its output
# on every capture (the project's fixtures and ../shared/pcaps) is checked in, in
# tests/cli/output_digests.tsv. A change that means to alter entries reruns this
# with --update and says in its commit which captures changed and why.
# Usage: digest_test.sh TRAWL SOURCE_DIR [--update]
set -uo pipefail
trawl=$1
root=$2
update=${3:-}
table=$root/tests/cli/output_digests.tsv
shared=$root/../shared

cd "$root" || exit 2
captures=(fixtures/*.pcap)
if [ -d "$shared/pcaps" ]; then
  while IFS= read -r f; do captures+=("${f#"$root"/}"); done < <(find "$shared/pcaps" -type f \
    \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
else
  echo "digest_test: $shared/pcaps not found: only the project's fixtures are checked"
fi

digest_of() { "$trawl" read "$1" --json 2> /dev/null | sha256sum | cut -d' ' -f1; }
name_of() { local f=$1; echo "${f#../shared/}"; }

if [ "$update" = --update ]; then
  for f in "${captures[@]}"; do printf '%s\t%s\n' "$(name_of "$f")" "$(digest_of "$f")"; done > "$table"
  echo "digest_test: wrote ${#captures[@]} digests to $table"
  exit 0
fi

declare -A expected
while IFS=$'\t' read -r name digest; do expected[$name]=$digest; done < "$table"
changed=0
for f in "${captures[@]}"; do
  name=$(name_of "$f")
  got=$(digest_of "$f")
  if [ -z "${expected[$name]:-}" ]; then
    echo "FAIL $name: no digest checked in (run $0 TRAWL SOURCE_DIR --update)"
    changed=$((changed + 1))
  elif [ "${expected[$name]}" != "$got" ]; then
    echo "FAIL $name: output changed"
    changed=$((changed + 1))
  fi
done
echo "digest_test: ${#captures[@]} captures, $changed changed"
[ $changed = 0 ]
