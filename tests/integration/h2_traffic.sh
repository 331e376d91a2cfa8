#!/usr/bin/env bash
# The HTTP family on real servers: nginx (h2c) with curl, nghttpd with nghttp
# (concurrent streams, a large body, trailers, push, an h2c upgrade), etcd with
# etcdctl (gRPC unary and streaming), a GraphQL server (npm graphql + graphql-http)
# with curl, and a WebSocket echo server with a client (npm ws). Servers run in one
# namespace, clients in another; the bridge is recorded with tcpdump into OUT.pcap.
# Usage: h2_traffic.sh OUT.pcap
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=h2$$
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-h2.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT

"$here/node/install.sh"
netns_up

mkdir -p "$work/www"
python3 "$here/www_content.py" "$work/www"
head -c 300000 /dev/urandom | base64 -w 100 > "$work/www/large.txt"
head -c 16384 /dev/urandom > "$work/www/download.bin"
cp "$work/www/large.txt" "$out.large.txt"  # the checks compare the body with it

. "$here/nginx.sh"
write_nginx_conf "$work" "
  types { application/json json; text/plain txt; }
  server {
    listen $SRV_IP:8080 http2;
    root $work/www;
  }
  server {
    # A send buffer that holds a whole download, so an answer queues behind it.
    listen $SRV_IP:8082 http2 sndbuf=1m;
    root $work/www;
  }"
in_srv nginx -c "$work/nginx.conf"
in_srv nghttpd --no-tls --echo-upload -a "$SRV_IP" -d "$work/www" --trailer="x-trawl-trailer: end-of-body" \
  -p "/a.txt=/b.txt" 8081 > /dev/null 2>&1 &
in_srv etcd --name trawl --data-dir "$work/etcd" --listen-client-urls "http://$SRV_IP:2379" \
  --advertise-client-urls "http://$SRV_IP:2379" --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster trawl=http://127.0.0.1:2380 > "$work/etcd.log" 2>&1 &
in_srv node "$here/node/graphql_server.js" "$SRV_IP" 4000 > "$work/graphql.log" 2>&1 &
in_srv node "$here/node/ws_server.js" "$SRV_IP" 8765 > "$work/ws.log" 2>&1 &
in_srv node "$here/node/ws_lenient.js" server "$SRV_IP" 8766 > "$work/ws-lenient.log" 2>&1 &

wait_port() {
  for _ in $(seq 100); do
    in_cli bash -c "exec 3<>/dev/tcp/$SRV_IP/$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "h2_traffic.sh: nothing listens on $SRV_IP:$1" >&2
  exit 1
}
for port in 8080 8081 8082 2379 4000 8765 8766; do wait_port "$port"; done
etcdctl_() { in_cli env ETCDCTL_API=3 etcdctl --endpoints="http://$SRV_IP:2379" "$@"; }
for _ in $(seq 100); do etcdctl_ endpoint health > /dev/null 2>&1 && break; sleep 0.1; done

capture_start "$out" 8080

curl_() { in_cli curl -s -o /dev/null --max-time 5 "$@"; }

# HTTP/2 with prior knowledge to nginx, and a POST that nghttpd echoes.
curl_ --http2-prior-knowledge "http://$SRV_IP:8080/index.json?h2=1"
curl_ --http2-prior-knowledge "http://$SRV_IP:8080/missing"
curl_ --http2-prior-knowledge -X POST --data "posted=yes" "http://$SRV_IP:8081/upload"

# nghttp: four concurrent streams on one connection, a large body with a
# trailer, and a push promise.
in_cli nghttp -n --no-push "http://$SRV_IP:8081/a.txt" "http://$SRV_IP:8081/b.txt" \
  "http://$SRV_IP:8081/index.json" "http://$SRV_IP:8081/nothing-here"
in_cli nghttp -n --no-push "http://$SRV_IP:8081/large.txt"
in_cli nghttp -n "http://$SRV_IP:8081/a.txt"

# gRPC: etcd's v3 API.
etcdctl_ put trawl/key "value one" > /dev/null
etcdctl_ get trawl/key > /dev/null
etcdctl_ get trawl/ --prefix --keys-only > /dev/null
etcdctl_ del trawl/key > /dev/null
etcdctl_ lease grant 300 > /dev/null
# A watch (a bidirectional stream) that sees one put, then is interrupted.
ip netns exec "$NS_CLI" timeout -s INT 1.5 env ETCDCTL_API=3 etcdctl \
  --endpoints="http://$SRV_IP:2379" watch trawl/watched > /dev/null 2>&1 &
watch_pid=$!
sleep 0.5
etcdctl_ put trawl/watched "seen by the watcher" > /dev/null
wait "$watch_pid" || true

# GraphQL over HTTP/1.1: a query, a named query with variables, a mutation, an
# error, and a GET.
gql() { in_cli curl -s -o /dev/null --max-time 5 -H "Content-Type: application/json" --data "$1" "http://$SRV_IP:4000/graphql"; }
gql '{"query":"{ users { id name } }"}'
gql '{"query":"query OneUser($id: ID!) { user(id: $id) { name } }","operationName":"OneUser","variables":{"id":"2"}}'
gql '{"query":"mutation AddUser { addUser(name: \"hopper\") { id name } }","operationName":"AddUser"}'
gql '{"query":"query Missing { user(id: \"99\") { name } }","operationName":"Missing"}'
curl_ -G --data-urlencode 'query={ hello }' "http://$SRV_IP:4000/graphql"

# WebSocket.
in_cli node "$here/node/ws_client.js" "ws://$SRV_IP:8765/echo"
# A server that gets the accept key wrong, and a client that does not check it.
in_cli node "$here/node/ws_lenient.js" client "$SRV_IP" 8766 "lenient one" "lenient two" > /dev/null

# An HTTP/2 request cancelled while its answer is on the wire: the server's link
# is slowed (tbf, 256 kbit/s) so the answer waits behind a 16 KB download and
# reaches the bridge after the client's RST_STREAM.
in_srv tc qdisc add dev eth0 root tbf rate 256kbit burst 4kb latency 5s
in_cli node "$here/node/h2_cancel.js" "http://$SRV_IP:8082" /download.bin "/index.json?cancelled=1"
in_srv tc qdisc del dev eth0 root

capture_stop
