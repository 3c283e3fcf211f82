# shellcheck shell=bash
# SPDX-License-Identifier: BSL-1.0
# Sourced by the tests in test/container: podman's settings here, the Debian base image, the
# images a build made, and removing them without touching what other builds or named images
# use; free ports; a kustomization over deploy/kubernetes.

# hold_podman_lock: from here on, one echomux test suite at a time on this host may use podman.
# Two suites (two checkouts, a CI run beside a developer's) share podman's images, and builds of
# the same source give the same image: one suite's cleanup removed the image the other had just
# built (seen: "localhost/echomux-test:6889: image not known"); and kube play publishes the
# manifests' fixed ports. Held until the test exits; podman's and buildah's children (conmon)
# do not inherit it, or a container left behind would hold it for good.
# shellcheck disable=SC2317 # podman and buildah: called by name from here on
hold_podman_lock() {
    exec {podman_lock}>/tmp/echomux-podman.lock
    flock -w 1200 "$podman_lock" || { echo "FAIL: another suite held /tmp/echomux-podman.lock for 20 min"; exit 1; }
    podman() { command podman "$@" {podman_lock}>&-; }
    buildah() { command buildah "$@" {podman_lock}>&-; }
}

# The image and its parents, child first: the layers a build made for it.
image_chain() {
    local id n=0
    id=$(podman image inspect --format '{{.Id}}' "$1" 2>/dev/null) || return 0
    while [ -n "$id" ] && [ $n -lt 50 ]; do
        echo "$id"
        id=$(podman image inspect --format '{{.Parent}}' "$id" 2>/dev/null) || break
        n=$((n + 1))
    done
}

# Removes each given image that is dangling (no name, no child) when its turn comes, child
# first: a chain goes as far as nothing else uses it. Named images (the Debian base, the
# build cache) and layers another build still stands on stay.
remove_dangling() {
    local id
    for id in "$@"; do
        if podman images -a -q --no-trunc --filter dangling=true | grep -q "$id"; then
            podman rmi "$id" >/dev/null 2>&1 || true
        fi
    done
}

# The Debian base image, made once with debootstrap (no registry is reachable here) and kept
# by tag. WORK: a scratch directory of the caller's.
debian_base_image() {
    local work=$1 mirror
    if ! podman image exists docker.io/library/debian:bookworm; then
        mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        mirror=${mirror:-http://deb.debian.org/debian}
        echo "making the Debian base image with debootstrap from $mirror"
        debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -n 20 "$work/debootstrap.log"; exit 1; }
        # As the official images: no package cache, no package lists.
        rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/lib/apt/lists/*
        tar -C "$work/rootfs" -c . | podman import - localhost/debian:bookworm >/dev/null
        podman tag localhost/debian:bookworm docker.io/library/debian:bookworm
        rm -rf "$work/rootfs"
    fi
}

# podman_settings WORK [NOFILE]: a containers.conf for this VM in WORK, exported as
# CONTAINERS_CONF. crun refuses the VM's hybrid cgroups, so runc; with NOFILE, fixed ulimits
# (setrlimit above the host's hard limit is refused here).
podman_settings() {
    export CONTAINERS_CONF=$1/containers.conf
    printf '[engine]\nruntime = "runc"\n' >"$CONTAINERS_CONF"
    [ -z "${2:-}" ] || printf '\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=1024:1024"]\n' "$2" "$2" \
        >>"$CONTAINERS_CONF"
}

# build_server_image SOURCE_DIR IMAGE LOG: the Dockerfile's build stage, kept under the
# cache's name (localhost/echomux-build:cache, shared by the tests: one of them compiles),
# then the server's image from it; the cache it replaced goes. Exits on a failed build.
build_server_image() {
    local src=$1 image=$2 log=$3 cache=localhost/echomux-build:cache old_chain
    old_chain=$(image_chain "$cache")
    podman build --format docker --pull=never --layers --target build -t "$cache" \
        -f "$src/Dockerfile" "$src" >"$log" 2>&1 || { tail -n 40 "$log"; exit 1; }
    podman build --format docker --pull=never --layers -t "$image" \
        -f "$src/Dockerfile" "$src" >>"$log" 2>&1 || { tail -n 40 "$log"; exit 1; }
    # shellcheck disable=SC2086 # one id per word
    remove_dangling $old_chain
}

# kustomization_over DIR KUSTOMIZATION: DIR/kustomization.yaml with KUSTOMIZATION as its
# resource (by a relative path: kustomize refuses absolute ones); the caller appends the rest.
kustomization_over() {
    mkdir -p "$1"
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\n' \
        "$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$2" "$1")" \
        >"$1/kustomization.yaml"
}

# free_ports N: N ports below the ephemeral range (32768), so the host's own connections
# cannot take them: from a per-run start, the first that no TCP or UDP socket here is bound
# to, into the array free. Exits when there are not N.
free_ports() {
    local used p=$((20000 + $$ % 10000))
    used=$(ss -Htuan | awk '{ sub(/.*:/, "", $5); print $5 }' | sort -u)
    free=()
    while [ ${#free[@]} -lt "$1" ] && [ $p -lt 32768 ]; do
        grep -qx "$p" <<<"$used" || free+=("$p")
        p=$((p + 1))
    done
    [ ${#free[@]} = "$1" ] || { echo "FAIL: not $1 free ports from $((20000 + $$ % 10000)) on"; exit 1; }
}
