#!/bin/bash
# Container test: builds the image from the Dockerfile with buildah, runs it on the host
# network, talks echo to it on loopback, scrapes /metrics, stops it with SIGTERM and
# expects exit status 0. Exits 77 (ctest: skipped) when no OCI builder is available.
#
# This sandbox reaches no registry and runs cgroup v1 with restricted setrlimit, so the
# Debian base images are made locally (debootstrap + podman import, cached by tag), the
# build uses chroot isolation, and the container runs with `buildah run` (podman run
# needs cgroups here). Elsewhere, `docker build .` / `podman build .` use the same file.
# Usage: container_test.sh SOURCE_DIR TOOLS_DIR
set -eu
src=$1
tools=$2

skip() { echo "SKIP: $*"; exit 77; }
command -v buildah >/dev/null 2>&1 || skip "buildah is not installed (apt-get install buildah podman debootstrap)"
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman)"
[ "$(id -u)" = 0 ] || skip "building with chroot isolation needs root"

work=$(mktemp -d /tmp/echomux-container-XXXXXX)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    [ -n "${ctr:-}" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Base images, made once and kept by tag.
if ! podman image exists docker.io/library/debian:bookworm-slim; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "making the Debian base image with debootstrap from $mirror"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 20 "$work/debootstrap.log"; exit 1; }
    # As the official images: no package cache, no package lists.
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/lib/apt/lists/*
    tar -C "$work/rootfs" -c . | podman import - localhost/debian:bookworm >/dev/null
    podman tag localhost/debian:bookworm docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
    rm -rf "$work/rootfs"
fi

# The build stage runs the unit tests; a failure fails the build (cached layers reuse a pass).
echo "building the image"
buildah bud --isolation chroot --pull=never --format docker --layers -t localhost/echomux:test \
    -f "$src/Dockerfile" "$src" >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; exit 1; }
size=$(podman image inspect localhost/echomux:test --format '{{.Size}}')
base=$(podman image inspect docker.io/library/debian:bookworm-slim --format '{{.Size}}')
echo "image size: $((size / 1024 / 1024)) MiB; $(((size - base) / 1024)) KiB on top of the base image ($((base / 1024 / 1024)) MiB here)"

config=$(podman image inspect localhost/echomux:test --format '{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.ExposedPorts}}')
echo "image config: $config"
case "$config" in
    "10001:10001 "*'"/usr/local/bin/echomux"'*'"7007/tcp"'*'"9100/tcp"'*) ;;
    *) echo "unexpected user, entrypoint or ports"; exit 1 ;;
esac

# Free ports below the ephemeral range, so the host's own connections cannot take them.
port=$((20000 + $$ % 5000))
metrics=$((port + 5000))

ctr=$(buildah from --pull-never localhost/echomux:test)
buildah run --isolation chroot "$ctr" -- /usr/local/bin/echomux --config /etc/echomux/echomux.conf \
    --listen 127.0.0.1 --port "$port" --metrics-listen 127.0.0.1 --metrics-port "$metrics" \
    >"$work/server.log" 2>&1 &
server_pid=$!

i=0
until grep -q "metrics on" "$work/server.log"; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "echomux did not start:"; cat "$work/server.log"; exit 1; }
    sleep 0.1
done
pid=$(pgrep -f "^/usr/local/bin/echomux --config /etc/echomux/echomux.conf --listen 127.0.0.1 --port $port" | head -n 1)
[ "$(stat -c %u "/proc/$pid")" = 10001 ] || { echo "echomux does not run as the image's user 10001"; exit 1; }

reply=$(printf 'hello from the container test' | nc -N 127.0.0.1 "$port")
[ "$reply" = "hello from the container test" ] || { echo "wrong echo: '$reply'"; exit 1; }
"$tools/echomux-client" two-socket --port "$port" >/dev/null

http_get() {
    exec 3<>"/dev/tcp/127.0.0.1/$metrics"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
    cat <&3
    exec 3<&-
}
page=$(http_get /metrics)
echo "$page" | grep -q '^echomux_connections_accepted_total 3$' || { echo "unexpected metrics:"; echo "$page"; exit 1; }
echo "$page" | grep -q '^echomux_received_bytes_total 121$' || { echo "unexpected byte count:"; echo "$page"; exit 1; }
health=$(http_get /healthz | head -n 1)
case "$health" in *" 200 "*) ;; *) echo "healthz: $health"; exit 1 ;; esac

echo "stopping with SIGTERM"
kill -TERM "$pid"
status=0
wait "$server_pid" || status=$?
server_pid=
cat "$work/server.log"
[ "$status" = 0 ] || { echo "exit status $status, expected 0"; exit 1; }
grep -q "stopped: accepted=3 " "$work/server.log" || { echo "no clean stop in the log"; exit 1; }
echo "container test passed"
