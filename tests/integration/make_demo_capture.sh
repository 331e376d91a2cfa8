#!/usr/bin/env bash
# Records the demo capture `make run` shows: the integration traffic, from real
# nginx, dnsmasq, curl, dig, openssl and ping in namespaces.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/traffic.sh" "$1"
chmod 644 "$1"
