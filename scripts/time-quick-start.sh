#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# Times the README's Quick start commands on a fresh Debian 12 root (as root): a minimal
# bookworm (debootstrap --variant=minbase, or the container test's cached base image),
# this source tree copied in, then the command run as written, from the start until the
# server says "listening on" (run command) or until it exits (test command, with --test;
# with --test-deps, only the test command's first step, ./scripts/install-deps.sh --test).
# Usage: scripts/time-quick-start.sh [--test | --test-deps]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
which=run
case "${1:-}" in
    "") ;;
    --test) which=test ;;
    --test-deps) which=test-deps ;;
    *) echo "usage: $0 [--test | --test-deps]" >&2; exit 2 ;;
esac

# The first sh block of the Quick start section is the run command, the second the test command.
block=1
[ $which = run ] || block=2
command=$(awk -v want=$block '
    /^## Quick start/ { in_section = 1; next }
    /^## / { in_section = 0 }
    in_section && /^```sh$/ { n++; next }
    in_section && /^```$/ { next }
    in_section && n == want && !printed { print; printed = 1 }' "$src/README.md")
[ -n "$command" ] || { echo "no $which command in README.md's Quick start" >&2; exit 1; }
[ $which = test-deps ] && command=${command%% && *}

work=$(mktemp -d /tmp/echomux-quick-start-XXXXXX)
root=$work/root
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    # The server is the chroot's grandchild (sh -c runs the command's steps as children):
    # every process whose root is ours goes, so none outlives the measurement.
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill "${p#/proc/}" 2>/dev/null
    done
    for m in "$root/dev" "$root/proc"; do
        if mountpoint -q "$m"; then umount -l "$m"; fi
    done
    # Never follow into a mount that is somehow still there.
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT INT TERM

mkdir "$root"
if command -v podman >/dev/null 2>&1 && podman image exists localhost/debian:bookworm; then
    echo "root: the container test's cached minbase image localhost/debian:bookworm"
    ctr=$(podman create localhost/debian:bookworm true)
    podman export "$ctr" | tar -x -C "$root"
    podman rm "$ctr" >/dev/null
else
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "root: debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 20 "$work/debootstrap.log"; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mkdir "$root/src"
tar -C "$src" --exclude='./build*' --exclude=./.git -c . | tar -C "$root/src" -x

echo "command: $command"
start=$(date +%s)
# Loopback and a free port, so the measured server cannot collide with anything on 7007.
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    ECHOMUX_LISTEN=127.0.0.1 ECHOMUX_PORT=0 sh -c "cd /src && $command" >"$work/log" 2>&1 &
server=$!
if [ $which = run ]; then
    # Bounded: an hour at most.
    i=0
    until grep -q "listening on" "$work/log"; do
        kill -0 "$server" 2>/dev/null || { tail -n 30 "$work/log"; echo "the run command ended early"; exit 1; }
        i=$((i + 1))
        [ $i -lt 3600 ] || { tail -n 30 "$work/log"; echo "not listening after an hour"; exit 1; }
        sleep 1
    done
else
    wait "$server" || { tail -n 40 "$work/log"; echo "the test command failed"; server=; exit 1; }
    server=
fi
end=$(date +%s)
installed=$(chroot "$root" dpkg-query -W -f='${Status}\n' | grep -c "install ok installed")
echo "$which command: $((end - start)) s; $installed packages installed in the root afterwards"
grep -E "^(Need to get|After this operation|[0-9]+ upgraded)" "$work/log" || true
