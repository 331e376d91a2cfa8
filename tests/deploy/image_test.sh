#!/usr/bin/env bash
# The image (make image) as Debian's docker.io runs it: `trawl read --serve`
# of the demo capture inside, reached through a published port: /healthz, the
# dashboard's page and its assets, the API with the token (and not without);
# and `trawl hub --help` as the hub's non-root user.
# Usage: image_test.sh [TAG]
set -euo pipefail
tag=${1:-trawl:latest}
here=$(cd "$(dirname "$0")/../.." && pwd)
name=trawl-image-test-$$
port=$((21000 + $$ % 2000))
token=image-test-token-0123456789
failed=0
expect() {  # expect WHAT COMMAND...
  local what=$1; shift
  if "$@" > /dev/null 2>&1; then echo "ok   $what"; else echo "FAIL $what"; failed=1; fi
}
trap 'docker rm -f "$name" > /dev/null 2>&1 || true' EXIT
docker run -d --name "$name" -p "127.0.0.1:$port:8899" -v "$here/fixtures:/fixtures:ro" --read-only \
  --tmpfs /tmp "$tag" read /fixtures/demo.pcap --serve --address 0.0.0.0 --token "$token" --data-dir /tmp/data \
  > /dev/null
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
expect "/healthz answers from the container" curl -sf "http://127.0.0.1:$port/healthz"
page=$(curl -sf "http://127.0.0.1:$port/" || true)
expect "the dashboard's page is served" grep -q '<div id="root">' <<< "$page"
asset=$(grep -o 'assets/index-[^"]*\.js' <<< "$page" | head -1)
expect "and its script" curl -sf "http://127.0.0.1:$port/$asset"
entries=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/entries?limit=1000" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["entries"]))' || echo 0)
want=$(docker run --rm -v "$here/fixtures:/fixtures:ro" "$tag" read /fixtures/demo.pcap --json 2> /dev/null | wc -l)
expect "the API with the token: every entry of the capture ($entries of $want)" test "$entries" -eq "$want" -a "$want" -gt 0
expect "the API without it: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/entries")" = 401
expect "the hub's user (65532) runs it, read-only" docker run --rm --read-only --user 65532:65532 "$tag" hub --help
docker logs "$name" > /dev/null 2>&1 || true
exit $failed
