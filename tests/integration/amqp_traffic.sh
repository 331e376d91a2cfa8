#!/usr/bin/env bash
# AMQP 0-9-1 on a real rabbitmq-server (its own node, config and data in a temp
# dir, listening on the bridge) with amqp-tools and an npm amqplib client:
# declare, bind, publish with properties, confirms, get, consume, ack/nack, a
# large multi-frame body and a channel error. Recorded with tcpdump into OUT.pcap.
# Usage: amqp_traffic.sh OUT.pcap
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=mq$$
. "$here/netns.sh"
"$here/node/install.sh"

work=$(mktemp -d /tmp/trawl-amqp.XXXXXX)
cleanup() {
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT
netns_up

printf 'loopback_users = none\nlisteners.tcp.1 = %s:5672\n' "$SRV_IP" > "$work/rabbitmq.conf"
echo '[].' > "$work/enabled_plugins"
rabbitmq_home=$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-* | head -1)
in_srv env HOME="$work" RABBITMQ_HOME="$rabbitmq_home" RABBITMQ_NODENAME=trawl@localhost \
  RABBITMQ_MNESIA_BASE="$work/mnesia" RABBITMQ_LOG_BASE="$work/log" \
  RABBITMQ_CONFIG_FILE="$work/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$work/enabled_plugins" \
  RABBITMQ_PID_FILE="$work/pid" /usr/lib/rabbitmq/bin/rabbitmq-server > "$work/server.log" 2>&1 &
for _ in $(seq 600); do
  in_cli bash -c "exec 3<>/dev/tcp/$SRV_IP/5672" 2>/dev/null && break
  sleep 0.1
done

capture_start "$out" 5672

url="amqp://guest:guest@$SRV_IP"
in_cli amqp-declare-queue -u "$url" -q tools.queue > /dev/null
in_cli amqp-publish -u "$url" -r tools.queue -C text/plain -b "from amqp-tools"
in_cli amqp-get -u "$url" -q tools.queue > /dev/null
in_cli amqp-delete-queue -u "$url" -q tools.queue > /dev/null
in_cli node "$here/node/amqp_client.js" "$url"

capture_stop
