#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# The .deb the package test made, installed as an admin would: dpkg -i, an upgrade, remove and
# purge in fresh copies of a Debian 12 minbase root (debootstrap, or the container test's
# image made by it) holding what Depends names, in three scenarios:
#   new_user     no user echomux before: postinst makes a system user; purge keeps it
#   system_user  the admin made a system user echomux: used as it is, kept byte for byte
#   login_user   a non-system (login) user echomux exists: install works, the user is kept
# Each checks the dpkg state, the user, the units' enable symlinks, what the maintainer
# scripts ask of systemd (a logging stand-in for systemctl, with /run/systemd/system made as
# systemd does: install starts, upgrade restarts, remove stops; login_user runs without it, as
# in a chroot; systemd_test.sh runs them under a real systemd), and that purge leaves the root's files as before the install; in the first,
# the installed units against that root: systemd-analyze verify, every Exec*= program present.
# The roots are cached in WORK_DIR (the base once, its dependency layer per Depends value).
# Exits 77 (ctest: skipped) when not root, when the package test made no .deb, or when no root
# can be made (no podman image, debootstrap or apt mirror).
# Usage: dpkg_test.sh PACKAGE_WORK_DIR WORK_DIR
set -eu
package_work=$1
work=$2

source "$(dirname "$0")/deb_test_lib.sh"
fail() { echo "FAIL: ${scenario:-setup}: $*"; exit 1; }
need chroot dpkg-deb systemd-analyze
use_checked_deb "$package_work"

mkdir -p "$work"
tmp=$(mktemp -d /tmp/echomux-dpkg-XXXXXX)
mounts=()
cleanup() {
    local m
    for m in "${mounts[@]}"; do umount "$m" || umount -l "$m"; done
    # Never into a mount still there (the overlays' lower layer is the cached root).
    rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
in_root() {  # ROOT COMMAND...: as dpkg runs maintainer scripts, with a clean environment
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

# The base: minbase bookworm with apt lists, made once.
base=$work/base
if [ ! -f "$base/.complete" ]; then
    rm -rf --one-file-system "$base"
    mkdir -p "$base"
    if command -v podman >/dev/null 2>&1 && podman image exists localhost/debian:bookworm 2>/dev/null; then
        echo "== base root: the container test's minbase image localhost/debian:bookworm"
        ctr=$(podman create localhost/debian:bookworm true)
        podman export "$ctr" | tar -x -C "$base"
        podman rm "$ctr" >/dev/null
    elif command -v debootstrap >/dev/null 2>&1; then
        mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        mirror=${mirror:-http://deb.debian.org/debian}
        echo "== base root: debootstrap --variant=minbase bookworm from $mirror (once; minutes)"
        debootstrap --variant=minbase bookworm "$base" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
            { tail -n 5 "$tmp/debootstrap.log"; rm -rf --one-file-system "$base"; skip "debootstrap failed (no mirror?)"; }
    else
        skip "no root to install into: neither podman's localhost/debian:bookworm nor debootstrap"
    fi
    cp /etc/resolv.conf "$base/etc/resolv.conf"
    touch "$base/.complete"
fi

# The dependency layer: the base plus what Depends names, by apt (apt-get satisfy reads the
# field as written, versions included), remade when Depends changes.
deps=$work/deps
if [ "$(cat "$deps/.depends" 2>/dev/null)" != "$depends" ]; then
    echo "== dependency layer: $depends"
    rm -rf --one-file-system "$deps"
    cp -a "$base" "$deps"
    if ! { in_root "$deps" apt-get update && in_root "$deps" apt-get satisfy -y --no-install-recommends "$depends"; } \
        >"$tmp/apt.log" 2>&1; then
        tail -n 5 "$tmp/apt.log"
        grep -qE '^(Err|W: Failed to fetch|E: Failed to fetch)' "$tmp/apt.log" && skip "the root reaches no apt mirror"
        fail "apt-get satisfy '$depends'"
    fi
    # As Debian's images: no package lists or cache, so each copy is small (half the size).
    in_root "$deps" apt-get clean
    rm -rf "$deps"/var/lib/apt/lists/* "$deps"/var/cache/apt/*.bin
    printf '%s' "$depends" >"$deps/.depends"
fi

# The upgrade: the same package as a later version, so dpkg runs every upgrade path.
upgrade_version=$version+upgrade1
dpkg-deb -R "$deb" "$tmp/upgrade"
sed -i "s/^Version: .*/Version: $upgrade_version/" "$tmp/upgrade/DEBIAN/control"
dpkg-deb -b "$tmp/upgrade" "$tmp/echomux-upgrade.deb" >/dev/null

# A stand-in for systemctl: logs what it is asked to do; answers is-enabled from the enable
# symlinks in /etc/systemd/system (as systemd reads them) and is-active from what it started.
write_systemctl() {  # ROOT
    mkdir -p "$1/usr/local/sbin"
    cat >"$1/usr/local/sbin/systemctl" <<'EOF'
#!/bin/sh
state=/run/echomux-test
action= units=
for arg in "$@"; do
    case $arg in
        --*) ;;
        *) if [ -z "$action" ]; then action=$arg; else units="$units $arg"; fi ;;
    esac
done
case $action in
    is-enabled)
        for unit in $units; do
            ls /etc/systemd/system/*.wants/"$unit" >/dev/null 2>&1 || { echo disabled; exit 1; }
        done
        echo enabled ;;
    is-active)
        for unit in $units; do [ -e "$state/active.$unit" ] || exit 3; done ;;
    *)
        echo "$action$units" >>"$state/calls"
        for unit in $units; do
            case $action in
                start | restart) touch "$state/active.$unit" ;;
                stop) rm -f "$state/active.$unit" ;;
            esac
        done ;;
esac
EOF
    chmod 755 "$1/usr/local/sbin/systemctl"
}
calls() {  # ROOT: what the scripts asked of systemd since the last call, repeats once
    # (deb-systemd-helper enable reloads systemd for each unit, then the start snippet does).
    uniq "$1/run/echomux-test/calls" 2>/dev/null | paste -sd ';' || true
    rm -f "$1/run/echomux-test/calls"
}
expect_calls() {  # ROOT STEP EXPECTED
    local got
    got=$(calls "$1")
    [ "$got" = "$3" ] || fail "$2: the scripts asked systemd for '$got', expected '$3'"
}

# Every path and its type, mode, owner, size and link target (a directory's size is the
# file system's business: an overlay's differs from ext4's), outside what dpkg and the
# stand-ins keep: purge must bring this back to what it was before the install.
tree() {  # ROOT
    (cd "$1" && find . -xdev \( -path ./proc -o -path ./run -o -path ./tmp -o -path ./var/lib/dpkg \
        -o -path ./var/log -o -path ./var/cache/debconf \) -prune \
        -o -type d -printf '%p d %#m %u:%g\n' -o -printf '%p %y %#m %u:%g %s %l\n' | sort)
}
accounts() {  # ROOT: the account databases, byte for byte
    (cd "$1/etc" && sha256sum passwd group shadow gshadow)
}
status() {  # ROOT: dpkg's status of echomux ("ii ", or "not installed")
    in_root "$1" dpkg-query -W -f='${db:Status-Abbrev}' echomux 2>/dev/null || echo "not installed"
}

# The units as systemd reads them from a minbase root with the package installed (and no
# procps): systemd-analyze verify, the targets they name from this host's systemd put in the
# root's /run/systemd/system (outside the tree purge is compared on). verify checks only the
# first command of each Exec*= setting, so every command line's program is looked up too.
check_units() {  # ROOT
    local root=$1 units=$1/lib/systemd/system output program
    mkdir -p "$root/run/systemd/system"
    cp -L /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "$root/run/systemd/system/"
    output=$(systemd-analyze verify --man=no --root="$root" "$units/echomux.service" "$units/echomux.socket" 2>&1) ||
        fail "systemd-analyze verify exited $?: $output"
    [ -z "$output" ] || fail "systemd-analyze verify complained: $output"
    while read -r program; do
        in_root "$root" test -x "$program" || fail "a unit runs $program, which a minbase root with the package lacks"
        echo "unit runs $program: present"
    done < <(sed -n -E 's/^Exec[A-Za-z]+=[-@:+!]*([^ ]+).*/\1/p' "$units/echomux.service" | sort -u)
}

fresh_root() {  # DIR: a fresh copy of the dependency layer, as DIR/root. An overlay on it
    # costs nothing; where overlayfs cannot mount, a copy (3 s each here).
    mkdir -p "$1/upper" "$1/work" "$1/root"
    if mount -t overlay overlay -o "lowerdir=$deps,upperdir=$1/upper,workdir=$1/work" "$1/root" 2>/dev/null; then
        mounts+=("$1/root")
    else
        rmdir "$1/root"
        cp -a "$deps" "$1/root"
    fi
}

run_scenario() {  # NAME SYSTEMD(yes|no) SETUP-COMMAND
    scenario=$1
    local systemd=$2 setup=$3 root=$tmp/$1/root started before_user before_tree before_accounts user uid gid home shell
    echo "== $scenario"
    started=$SECONDS
    fresh_root "$tmp/$scenario"
    write_systemctl "$root"
    mkdir -p "$root/run/echomux-test"
    if [ "$systemd" = yes ]; then mkdir -p "$root/run/systemd/system"; fi
    if [ -n "$setup" ]; then in_root "$root" sh -ec "$setup"; fi
    before_user=$(in_root "$root" getent passwd echomux || true)
    before_accounts=$(accounts "$root")
    before_tree=$(tree "$root")
    cp "$deb" "$root/tmp/echomux.deb"
    cp "$tmp/echomux-upgrade.deb" "$root/tmp/echomux-upgrade.deb"

    in_root "$root" dpkg -i /tmp/echomux.deb >"$tmp/$scenario.log" 2>&1 ||
        { cat "$tmp/$scenario.log"; fail "dpkg -i: $(status "$root")"; }
    [ "$(status "$root")" = "ii " ] || fail "after dpkg -i the package is '$(status "$root")', not installed and configured"
    user=$(in_root "$root" getent passwd echomux) || fail "no user echomux after install"
    echo "user: $user"
    if [ -n "$before_user" ]; then
        [ "$user" = "$before_user" ] || fail "postinst changed the existing user: '$before_user' became '$user'"
        [ "$(accounts "$root")" = "$before_accounts" ] || fail "postinst changed the account databases"
    else
        IFS=: read -r _ _ uid gid _ home shell <<<"$user"
        [ "$uid" -lt 1000 ] || fail "the new user echomux is not a system user (uid $uid)"
        [ "$shell" = /usr/sbin/nologin ] && [ "$home" = /nonexistent ] || fail "the new user can log in or has a home: $user"
        [ "$(in_root "$root" getent group echomux | cut -d: -f3)" = "$gid" ] || fail "the new user's group is not echomux"
    fi
    in_root "$root" /usr/bin/echomux --version | grep -qF "$version" || fail "the installed echomux --version"
    in_root "$root" /usr/bin/echomux --check-config --config /etc/echomux/echomux.conf >/dev/null ||
        fail "the installed echomux --check-config with the packaged conf file"
    # Enabled on install, as dh_installsystemd does: the symlinks the [Install] sections name.
    [ -L "$root/etc/systemd/system/multi-user.target.wants/echomux.service" ] &&
        [ -L "$root/etc/systemd/system/sockets.target.wants/echomux.socket" ] || fail "install enabled no unit"
    if [ "$systemd" = yes ]; then
        expect_calls "$root" install "daemon-reload;start echomux.socket;start echomux.service"
    else
        expect_calls "$root" "install without systemd" ""
    fi
    if [ "$scenario" = new_user ]; then check_units "$root"; fi

    in_root "$root" dpkg -i /tmp/echomux-upgrade.deb >>"$tmp/$scenario.log" 2>&1 ||
        { cat "$tmp/$scenario.log"; fail "the upgrade (dpkg -i $upgrade_version): $(status "$root")"; }
    [ "$(in_root "$root" dpkg-query -W -f='${Version}' echomux)" = "$upgrade_version" ] || fail "the upgrade did not happen"
    [ "$(in_root "$root" getent passwd echomux)" = "$user" ] || fail "the upgrade changed the user"
    # No stop before the unpack: the old binary serves until the new one is restarted; the
    # socket is only started (a no-op when it listens), so it holds the port throughout.
    if [ "$systemd" = yes ]; then
        expect_calls "$root" upgrade "daemon-reload;start echomux.socket;restart echomux.service"
    fi

    in_root "$root" dpkg --remove echomux >>"$tmp/$scenario.log" 2>&1 || { cat "$tmp/$scenario.log"; fail "dpkg --remove"; }
    if [ "$systemd" = yes ]; then
        expect_calls "$root" remove "stop echomux.socket echomux.service;daemon-reload"
    fi
    [ -f "$root/etc/echomux/echomux.conf" ] || fail "remove took the conffile (only purge may)"
    [ ! -e "$root/usr/bin/echomux" ] || fail "remove left /usr/bin/echomux"

    in_root "$root" dpkg --purge echomux >>"$tmp/$scenario.log" 2>&1 || { cat "$tmp/$scenario.log"; fail "dpkg --purge"; }
    [ "$(status "$root")" = "not installed" ] || fail "after purge dpkg says '$(status "$root")'"
    [ "$(in_root "$root" getent passwd echomux)" = "$user" ] || fail "purge removed or changed the user echomux"
    in_root "$root" getent group echomux >/dev/null || fail "purge removed the group echomux"
    # deb-systemd-helper purge drops the enable symlinks, then reloads systemd; nothing else.
    if [ "$systemd" = yes ]; then
        expect_calls "$root" purge "daemon-reload"
    else
        expect_calls "$root" "purge without systemd" ""
    fi
    if [ -n "$before_user" ]; then
        [ "$(accounts "$root")" = "$before_accounts" ] || fail "the account databases differ after purge"
    fi
    # What the package made and not the admin: only the new user (kept) may remain.
    diff <(echo "$before_tree") <(tree "$root") |
        grep -vE '^[<>] \./etc/(passwd|group|shadow|gshadow)-? ' | grep -E '^[<>]' >"$tmp/left" || true
    [ ! -s "$tmp/left" ] || { cat "$tmp/left"; fail "purge left the root different (< before install, > after purge)"; }
    echo "ok: $scenario ($((SECONDS - started)) s)"
}

run_scenario new_user yes ""
run_scenario system_user yes \
    "addgroup --system --quiet --gid 432 echomux; adduser --system --quiet --uid 234 --ingroup echomux --home /var/lib/echomux --shell /bin/false echomux"
# A login user with a home, as useradd -m makes one; without systemd running, as in a chroot.
run_scenario login_user no "useradd --create-home --uid 1500 --shell /bin/bash echomux"

echo "PASS: dpkg install, upgrade, remove and purge, with and without a user echomux before"
