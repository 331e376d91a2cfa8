#!/usr/bin/env bash
# Installs the npm servers and clients the integration tests run (once).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/ws ] || [ ! -d node_modules/graphql-http ] || [ ! -d node_modules/graphql ] ||
  [ ! -d node_modules/amqplib ]; then
  npm install --no-audit --no-fund --loglevel=error > /dev/null
fi
