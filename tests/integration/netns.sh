# Test hosts in network namespaces: a server and a client joined by a bridge on a
# private subnet with no default route, so traffic never leaves this machine.
# Source it, call netns_up, and netns_down on exit.
NS_ID=${NS_ID:-$$}
NS_BR=trawl-br-$NS_ID
NS_SRV=trawl-srv-$NS_ID
NS_CLI=trawl-cli-$NS_ID
SRV_IP=10.77.0.1
CLI_IP=10.77.0.2

netns_up() {
  ip netns add "$NS_BR"
  ip netns add "$NS_SRV"
  ip netns add "$NS_CLI"
  ip -n "$NS_BR" link add br0 type bridge
  ip -n "$NS_BR" link set br0 up
  local ns ip port=0
  for pair in "$NS_SRV:$SRV_IP" "$NS_CLI:$CLI_IP"; do
    ns=${pair%%:*}
    ip=${pair##*:}
    ip link add "trawlv$port-$NS_ID" type veth peer name eth0 netns "$ns"
    ip link set "trawlv$port-$NS_ID" netns "$NS_BR" name "port$port"
    ip -n "$NS_BR" link set "port$port" master br0 up
    port=$((port + 1))
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  # IPv4 only: keeps IPv6 router solicitations and MLD reports out of the captures.
  for ns in "$NS_BR" "$NS_SRV" "$NS_CLI"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
}

# Never fails: a process may exit between listing and kill, and under set -e a
# failing command in an EXIT trap would become the script's exit status.
netns_down() {
  for ns in "$NS_SRV" "$NS_CLI" "$NS_BR"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  sleep 0.2
  for ns in "$NS_SRV" "$NS_CLI" "$NS_BR"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_br() { ip netns exec "$NS_BR" "$@"; }

# Records the bridge into FILE with tcpdump, and returns once the capture is live
# (a connection to SRV_IP:PORT shows up in it). capture_stop ends it.
capture_start() {
  local file=$1 port=$2
  ip netns exec "$NS_BR" tcpdump -i br0 -s 0 -U -w "$file" 2>/dev/null &
  CAPTURE_PID=$!
  for _ in $(seq 100); do
    in_cli bash -c "exec 3<>/dev/tcp/$SRV_IP/$port" 2>/dev/null || true
    sleep 0.1
    [ -s "$file" ] && break
  done
  [ -s "$file" ] || { echo "$(basename "$0"): tcpdump captured nothing" >&2; exit 1; }
  sleep 0.3
}

capture_stop() {
  sleep 1
  kill -INT "$CAPTURE_PID"
  wait "$CAPTURE_PID" 2>/dev/null || true
}
