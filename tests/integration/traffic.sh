#!/usr/bin/env bash
# Starts real servers (nginx with HTTP and TLS, dnsmasq) in a namespace, drives
# them with real clients (curl, dig, openssl, ping) from another, and records the
# bridge with tcpdump into OUT.pcap. Prints nothing on success.
# Usage: traffic.sh OUT.pcap [--small]
set -euo pipefail
out=$(realpath -m "$1")
small=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-traffic.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  netns_down
  rm -rf "$work" "/etc/netns/$NS_CLI"
}
trap cleanup EXIT
netns_up

# Content the checks compare against.
mkdir -p "$work/www"
python3 "$here/www_content.py" "$work/www"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tls.trawl.test" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

. "$here/nginx.sh"
write_nginx_conf "$work" "
  types { application/json json; text/plain txt; }
  gzip on;
  gzip_types application/json text/plain;
  gzip_min_length 16;
  keepalive_requests 20000;
  server {
    listen $SRV_IP:80;
    listen $SRV_IP:12345;
    root $work/www;
    location = /empty { return 204; }
  }
  server {
    listen $SRV_IP:443 ssl http2;
    server_name tls.trawl.test;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
  }"
in_srv nginx -c "$work/nginx.conf"
ip netns exec "$NS_SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
  --listen-address="$SRV_IP" --pid-file="$work/dnsmasq.pid" --user=root \
  --local=/trawl.test/ --address=/web.trawl.test/$SRV_IP \
  --txt-record=txt.trawl.test,"hello world" --mx-host=trawl.test,mail.trawl.test,10 \
  --address=/dual.trawl.test/10.77.0.5 --address=/dual.trawl.test/fd00::5 \
  --log-facility=/dev/null &

capture_start "$out" 80

curl_() { in_cli curl -s -o /dev/null --max-time 5 "$@"; }

# HTTP/1.1: plain, gzip + chunked response, query string, 404, HEAD, 204, POST,
# a chunked request body, another port, HTTP/1.0, pipelining.
curl_ "http://$SRV_IP/index.json?x=1&y=2&x=3" -H "Accept-Encoding: identity"
curl_ --compressed "http://$SRV_IP/index.json" -H "X-Trawl-Test: gzip"
curl_ "http://$SRV_IP/missing"
if [ "$small" != "--small" ]; then
  curl_ -I "http://$SRV_IP/a.txt"
  curl_ "http://$SRV_IP/empty"
  curl_ -X POST --data "name=trawl&lang=c%2B%2B" "http://$SRV_IP/a.txt"
  printf 'chunk-one;chunk-two;chunk-three' > "$work/upload.txt"
  curl_ -X PUT -H "Transfer-Encoding: chunked" --data-binary @"$work/upload.txt" "http://$SRV_IP/upload"
  curl_ "http://$SRV_IP:12345/a.txt"
  curl_ --http1.0 "http://$SRV_IP/b.txt" -H "Accept-Encoding: identity"
  in_cli python3 - "$SRV_IP" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=5)
reqs = b"".join(b"GET /%s HTTP/1.1\r\nHost: pipeline\r\nAccept-Encoding: identity\r\n\r\n" % p
                for p in (b"a.txt", b"b.txt", b"nothing-here"))
s.sendall(reqs)
data = b""
deadline = time.time() + 5
while data.count(b"HTTP/1.1 ") < 3 and time.time() < deadline:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
time.sleep(0.2)
s.close()
PY
  # 10,000 requests written at once on one connection, a.txt and b.txt in turn:
  # thousands in flight before the first response.
  in_cli python3 - "$SRV_IP" <<'PY'
import socket, sys, threading, time
s = socket.create_connection((sys.argv[1], 80), timeout=10)
reqs = b"".join(b"GET /%s?n=%d HTTP/1.1\r\nHost: deep-pipeline\r\nAccept-Encoding: identity\r\n\r\n"
                % (b"a.txt" if i % 2 == 0 else b"b.txt", i) for i in range(10000))
threading.Thread(target=s.sendall, args=(reqs,), daemon=True).start()  # read meanwhile
data = b""
deadline = time.time() + 20
try:
    while data.count(b"HTTP/1.1 200") < 10000 and time.time() < deadline:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
time.sleep(0.2)
s.close()
PY
fi

# DNS over UDP and TCP.
dig_() { in_cli dig @"$SRV_IP" +tries=1 +time=2 "$@" > /dev/null || true; }
dig_ web.trawl.test A
dig_ +tcp web.trawl.test A
dig_ nothing.trawl.test A
if [ "$small" != "--small" ]; then
  dig_ txt.trawl.test TXT
  dig_ trawl.test MX
  # glibc's resolver over TCP (`options use-vc`) writes the A and AAAA queries
  # of one getaddrinfo() into one segment (AF_UNSPEC without AI_ADDRCONFIG: the
  # client has no IPv6 address, so `getent ahosts` would ask for A only).
  # `ip netns exec` shows the client this resolv.conf as /etc/resolv.conf.
  mkdir -p "/etc/netns/$NS_CLI"
  printf 'nameserver %s\noptions use-vc\n' "$SRV_IP" > "/etc/netns/$NS_CLI/resolv.conf"
  in_cli python3 -c "import socket; socket.getaddrinfo('dual.trawl.test', 80)" > /dev/null || true
fi

# TLS 1.2 and 1.3 with SNI and ALPN.
curl_ -k --resolve "tls.trawl.test:443:$SRV_IP" --tlsv1.2 --tls-max 1.2 "https://tls.trawl.test/a.txt"
curl_ -k --resolve "tls.trawl.test:443:$SRV_IP" --tlsv1.3 --http1.1 "https://tls.trawl.test/a.txt"
if [ "$small" != "--small" ]; then
  echo | in_cli timeout 5 openssl s_client -connect "$SRV_IP:443" -servername other.trawl.test \
    -alpn http/1.1 -tls1_3 > /dev/null 2>&1 || true
fi

# ICMP: echo, and a port unreachable for a UDP datagram to a closed port.
in_cli ping -c 3 -i 0.2 -W 2 "$SRV_IP" > /dev/null
in_cli python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'is anyone there', ('$SRV_IP', 9999))
"
capture_stop
