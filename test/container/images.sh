# SPDX-License-Identifier: BSL-1.0
# Sourced by container_test.sh and kube_play_test.sh: the Debian base image, the images a
# build made, and removing them without touching what other builds or named images use.

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
