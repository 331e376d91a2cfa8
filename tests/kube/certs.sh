#!/usr/bin/env bash
# Makes a test CA, a server certificate for the stand-in API server (127.0.0.1,
# localhost) and client certificates for the users named: OUT/ca.crt,
# OUT/server.{crt,key}, OUT/USER.{crt,key}.
# Usage: certs.sh OUT [USER ...]
set -euo pipefail
out=$1
shift
mkdir -p "$out"
cat > "$out/ext.cnf" <<'CNF'
[server]
subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth
[client]
extendedKeyUsage=clientAuth
CNF
sign() {  # sign NAME CN EXTENSIONS
  openssl req -newkey rsa:2048 -nodes -keyout "$out/$1.key" -out "$out/$1.csr" -subj "/CN=$2" 2> /dev/null
  openssl x509 -req -in "$out/$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -out "$out/$1.crt" -days 2 -extfile "$out/ext.cnf" -extensions "$3" 2> /dev/null
  rm "$out/$1.csr"
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/ca.key" -out "$out/ca.crt" -days 2 \
  -subj "/CN=trawl-test-ca" 2> /dev/null
sign server standin server
for user in "$@"; do sign "$user" "$user" client; done
