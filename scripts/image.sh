#!/usr/bin/env bash
# make image: trawl:latest from deploy/Dockerfile, with the built binary
# (stripped) and dashboard. Its base, a Debian 12 minbase made with debootstrap
# from Debian's mirror, is made once when absent (no registry image can be
# pulled). Starts dockerd when none runs.
# Usage: image.sh BUILD_DIR [TAG]
set -euo pipefail
build=$1
tag=${2:-trawl:latest}
base=trawl-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")/.." && pwd)

if ! docker info > /dev/null 2>&1; then
  echo "image: starting dockerd"
  nohup dockerd > /tmp/trawl-dockerd.log 2>&1 &
  for _ in $(seq 100); do docker info > /dev/null 2>&1 && break; sleep 0.2; done
  docker info > /dev/null 2>&1 || { tail -20 /tmp/trawl-dockerd.log; exit 1; }
fi
work=$(mktemp -d /tmp/trawl-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! docker image inspect "$base" > /dev/null 2>&1; then
  echo "image: making $base with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin
  tar -C "$work/root" -c . | docker import - "$base" > /dev/null
  rm -rf "$work/root"
fi
mkdir -p "$work/context"
strip -o "$work/context/trawl" "$build/trawl"
cp -r "$here/ui/dist" "$work/context/ui"
docker build -q -f "$here/deploy/Dockerfile" -t "$tag" "$work/context" > "$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; exit 1; }
echo "image: $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MiB", $1 / 1048576}'))"
