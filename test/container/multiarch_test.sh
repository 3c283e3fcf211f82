#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# The multi-arch image: the Dockerfile built for linux/amd64 and linux/arm64 (the arm64 one
# cross-compiled in the build stage, which runs natively: no emulated build), assembled as a
# manifest list. Checks the list names both platforms, the arm64 image is configured as the
# amd64 one (entrypoint, user, ports, healthcheck, labels), its echomux is a static AArch64
# binary, and that binary, run under qemu-aarch64-static (Debian's qemu-user-static, called
# directly: no binfmt registration), reports the labels' version, echoes over loopback,
# counts it in /metrics and stops on SIGTERM with exit 0. Then the list is written to an OCI
# layout, as a push would, and its digest pinned through a kustomization's images: renders
# as image@sha256:... in the Deployment.
# The arm64 build is minutes of compiling on 2 cores (README, "Multi-arch image"): it runs
# only with ECHOMUX_TEST_MULTIARCH=1; without it the test exits 77 (ctest: skipped) and says
# so, as when a tool is missing or we are not root.
# Usage: multiarch_test.sh SOURCE_DIR
set -eu
src=$(cd "$1" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "${ECHOMUX_TEST_MULTIARCH:-0}" = 1 ] \
    || skip "the arm64 cross build takes minutes: run with ECHOMUX_TEST_MULTIARCH=1 (ctest -R multiarch)"
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman buildah runc debootstrap)"
command -v qemu-aarch64-static >/dev/null 2>&1 \
    || skip "qemu-aarch64-static is not installed (apt-get install --no-install-recommends qemu-user-static)"
command -v file >/dev/null 2>&1 || skip "file is not installed (apt-get install file)"
kustomize=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\)\..*/\1/p' || true)
[ "${kustomize:-0}" -ge 5 ] || skip "needs kubectl with kustomize v5 or later (kubectl 1.27+)"
[ "$(id -u)" = 0 ] || skip "making the base image and building with runc here need root"

work=$(mktemp -d /tmp/echomux-multiarch-XXXXXX)

list=localhost/echomux-multiarch:$$
server_pid=
# shellcheck source=test/container/images.sh
. "$(dirname "$0")/images.sh"
podman_settings "$work"
hold_podman_lock

cleanup() {
    [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
    local arch chain
    for arch in amd64 arm64; do
        if podman image exists "$list-$arch"; then
            chain=$(image_chain "$list-$arch")
            podman untag "$list-$arch" >/dev/null 2>&1 || true
            # shellcheck disable=SC2086 # one id per word
            remove_dangling $chain
        fi
    done
    podman manifest rm "$list" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

debian_base_image "$work"
# podman 4.3 ignores FROM --platform and would look for an arm64 Debian: the builder by id
# (Dockerfile, the build stage's comment).
builder=$(podman image inspect --format '{{.Id}}' docker.io/library/debian:bookworm)
podman manifest create "$list" >/dev/null
for arch in amd64 arm64; do
    start=$(date +%s)
    podman build --format docker --pull=never --layers --platform "linux/$arch" --build-arg BUILDER="$builder" \
        -t "$list-$arch" -f "$src/Dockerfile" "$src" >"$work/build-$arch.log" 2>&1 \
        || { tail -n 40 "$work/build-$arch.log"; fail "the $arch build failed"; }
    echo "$arch image built in $(($(date +%s) - start)) s"
    podman manifest add "$list" "containers-storage:$list-$arch" >/dev/null
done

echo "case: the manifest list names linux/amd64 and linux/arm64, each image as configured"
platforms=$(podman manifest inspect "$list" | python3 -c '
import json, sys
print(" ".join(sorted(m["platform"]["os"] + "/" + m["platform"]["architecture"] for m in json.load(sys.stdin)["manifests"])))')
[ "$platforms" = "linux/amd64 linux/arm64" ] || fail "the list's platforms: $platforms"
config='{{.Os}}/{{.Architecture}} {{json .Config.Entrypoint}} {{.Config.User}} {{json .Config.ExposedPorts}} {{json .Config.Healthcheck}} {{json .Config.Labels}}'
amd64=$(podman image inspect --format "$config" "$list-amd64")
arm64=$(podman image inspect --format "$config" "$list-arm64")
[ "${amd64#linux/amd64 }" = "${arm64#linux/arm64 }" ] || fail "the images differ beyond their platform:
amd64: $amd64
arm64: $arm64"
for arch in amd64 arm64; do echo "$arch image: $(podman image inspect --format '{{.Size}}' "$list-$arch") bytes"; done

echo "case: the arm64 echomux, static, under qemu-aarch64-static"
mount=$(podman image mount "$list-arm64")
cp "$mount/usr/local/bin/echomux" "$work/echomux-arm64"
podman image unmount "$list-arm64" >/dev/null
file "$work/echomux-arm64" | grep "ARM aarch64" | grep -q "statically linked" \
    || fail "not a static AArch64 executable: $(file "$work/echomux-arm64")"
version=$(qemu-aarch64-static "$work/echomux-arm64" --version | head -n 1)
label() { podman image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}" "$list-arm64"; }
[ "$version" = "echomux $(label version) (revision $(label revision))" ] || fail "version: '$version'"
free_ports 2
qemu-aarch64-static "$work/echomux-arm64" --listen 127.0.0.1 --port "${free[0]}" --metrics-port "${free[1]}" \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "metrics on http" "$work/server.log" && break; sleep 0.1; done
grep -q "metrics on http" "$work/server.log" || { cat "$work/server.log"; fail "the arm64 echomux did not start"; }
reply=$(printf 'hello from aarch64' | nc -N 127.0.0.1 "${free[0]}")
[ "$reply" = "hello from aarch64" ] || fail "wrong echo: '$reply'"
exec 3<>"/dev/tcp/127.0.0.1/${free[1]}"
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
page=$(cat <&3)
exec 3<&-
echo "$page" | grep -q '^echomux_received_bytes_total{listener="main"} 18$' || { echo "$page" | head; fail "metrics: not 18 bytes"; }
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" = 0 ] || { cat "$work/server.log"; fail "exit status $status after SIGTERM"; }
grep -q "stopped: accepted=1 " "$work/server.log" || { cat "$work/server.log"; fail "no 'stopped' line"; }
echo "arm64 echomux under qemu: echoed, counted, exit 0"

echo "case: the list's digest pinned by a kustomization's images:"
podman manifest push --all --digestfile "$work/digest" "$list" "oci:$work/oci:echomux" >"$work/push.log" 2>&1 \
    || { cat "$work/push.log"; fail "podman manifest push to an OCI layout failed"; }
digest=$(cat "$work/digest")
case "$digest" in sha256:????????????????????????????????????????????????????????????????) ;; *) fail "digest: '$digest'" ;; esac
kustomization_over "$work/pin" "$src/deploy/kubernetes"
cat >>"$work/pin/kustomization.yaml" <<EOF
images:
  - name: registry.example.com/echomux/echomux
    digest: $digest
EOF
image=$(kubectl kustomize "$work/pin" | sed -n 's/^ *image: //p')
[ "$image" = "registry.example.com/echomux/echomux@$digest" ] || fail "rendered image: '$image'"
echo "pinned: $image"
echo "multiarch test passed"
