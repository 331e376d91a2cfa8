#!/usr/bin/env bash
# Installs the Debian packages trawl needs to build, test and benchmark, when missing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ clang pkg-config libclang-rt-14-dev
  libpcap-dev libcli11-dev zlib1g-dev libbrotli-dev libssl-dev libgtest-dev libnghttp2-dev libsimdjson-dev
  libprotobuf-dev protobuf-compiler libzstd-dev liblz4-dev libsnappy-dev libre2-dev libboost-dev
  libyaml-cpp-dev
  # tests: real servers and clients, captures, the tshark oracle
  tshark tcpdump nginx-light dnsmasq-base bind9-dnsutils iproute2 iputils-ping
  openssl curl python3 procps iptables
  nghttp2-server nghttp2-client etcd-server etcd-client redis-server redis-tools
  slapd ldap-utils
  librdkafka-dev kcat socat rabbitmq-server amqp-tools
  chromium
  # the Helm chart, rendered without Helm (tests/deploy/helmrender); the image
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev python3-yaml
  docker.io debootstrap
  # benchmarks
  wrk bc zstd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the npm GraphQL and WebSocket servers; any install of it will do
# (Debian's nodejs + npm, or a nodejs package that bundles npm).
command -v node > /dev/null && command -v npm > /dev/null || missing+=(nodejs npm)
# kubectl checks the stand-in Kubernetes API server (tests/kube); any install of
# it will do, Debian's kubernetes-client when there is none.
command -v kubectl > /dev/null || missing+=(kubernetes-client)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q -o DPkg::Lock::Timeout=600
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}"
