# SPDX-License-Identifier: BSL-1.0
# Sourced by container_test.sh: the images a build made, and removing them without touching
# what other builds or named images use.

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
