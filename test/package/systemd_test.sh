#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# The .deb the package test made, under a real systemd (PID 1 of a podman container on a
# Debian 12 minbase image with systemd and what Depends names): dpkg -i enables and starts
# echomux.socket and echomux.service (echomux serves the socket systemd holds, and echoes;
# systemd-analyze verify of the installed units is clean), an upgrade restarts the service
# (a new pid) while the socket keeps listening, dpkg --remove stops both, purge drops the
# enable links and keeps the user. dpkg_test.sh checks
# the same scripts in many more cases against a stand-in systemctl; this is what only
# systemd itself can say (how it orders jobs, whether the socket is handed over).
# Exits 77 (ctest: skipped), with the reason, when not root, without podman and runc, without
# a .deb from the package test or a base image, or when podman cannot run systemd here.
# Usage: systemd_test.sh PACKAGE_WORK_DIR DPKG_WORK_DIR
set -eu
package_work=$1
dpkg_work=$2

source "$(dirname "$0")/deb_test_lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
need podman runc dpkg-deb
use_checked_deb "$package_work"

tmp=$(mktemp -d /tmp/echomux-systemd-XXXXXX)
ctr=echomux-systemd-test-$$
cleanup() {
    podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# As the container test: runc (crun refuses this VM's hybrid cgroups) and ulimits that the
# host allows setting.
export CONTAINERS_CONF=$tmp/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[engine]
runtime = "runc"

[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF

# The image: minbase bookworm (the container test's image, or the root package_dpkg made by
# debootstrap) with systemd and the dependencies; podman's layer cache keeps it between runs.
base=localhost/debian:bookworm
if ! podman image exists $base; then
    base=localhost/echomux-package-base:bookworm
    if ! podman image exists $base; then
        [ -f "$dpkg_work/base/.complete" ] || skip "no minbase image: neither localhost/debian:bookworm nor package_dpkg's root"
        tar -C "$dpkg_work/base" --exclude=./.complete -c . | podman import - $base >/dev/null ||
            fail "podman import of package_dpkg's root"
    fi
fi
image=localhost/echomux-systemd-test:bookworm
echo "== image: $base with systemd and $depends"
podman build --network host -t $image --build-arg "DEPENDS=$depends" -f - "$tmp" >"$tmp/build.log" 2>&1 <<EOF ||
FROM $base
ARG DEPENDS
RUN apt-get update && apt-get satisfy -y --no-install-recommends "\$DEPENDS" && \
    apt-get install -y --no-install-recommends systemd && apt-get clean && rm -rf /var/lib/apt/lists/*
EOF
    { tail -n 5 "$tmp/build.log"; skip "the image did not build (no apt mirror?)"; }

# The .deb and its upgrade (the same package, a later version) for the container to read.
mkdir "$tmp/pkg"
cp "$deb" "$tmp/pkg/echomux.deb"
dpkg-deb -R "$deb" "$tmp/upgrade"
sed -i 's/^Version: .*/&+upgrade1/' "$tmp/upgrade/DEBIAN/control"
dpkg-deb -b "$tmp/upgrade" "$tmp/pkg/echomux-upgrade.deb" >/dev/null

# Its own network namespace (loopback only): port 7007 inside is nobody else's.
podman run -d --name "$ctr" --network none --systemd=always -v "$tmp/pkg:/pkg:ro" $image /lib/systemd/systemd \
    >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; skip "podman cannot run a container here"; }
in_ctr() { podman exec "$ctr" "$@"; }
# systemctl --wait blocks until the boot is done, once systemd's bus socket exists (polled,
# 30 s at most: PID 1 makes it within a second here).
state=$(podman exec "$ctr" timeout 30 sh -c 'until [ -S /run/systemd/private ]; do sleep 0.1; done' 2>/dev/null &&
    podman exec "$ctr" timeout 60 systemctl is-system-running --wait 2>/dev/null) || true
case $state in
    running | degraded) ;;
    *) podman logs "$ctr" 2>&1 | tail -n 5; skip "systemd does not boot in a container here (state: ${state:-none})" ;;
esac
echo "systemd: $(in_ctr systemctl --version | head -n 1), $state"

prop() { in_ctr systemctl show -p "$2" --value "$1"; }
serves_systemds_socket() {  # PID: its descriptor 3 (LISTEN_FDS_START) is a socket PID 1 holds
    local socket
    socket=$(in_ctr readlink "/proc/$1/fd/3") || return 1
    case $socket in socket:*) ;; *) return 1 ;; esac
    in_ctr sh -c 'ls -l /proc/1/fd | grep -qF "$1"' _ "$socket"
}
echoes() {  # a client through the port systemd holds
    [ "$(in_ctr timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7007 && printf hi >&3 && head -c 2 <&3' 2>/dev/null)" = hi ]
}

echo "== install"
in_ctr dpkg -i /pkg/echomux.deb >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i"; }
for unit in echomux.service echomux.socket; do
    [ "$(in_ctr systemctl is-enabled $unit)" = enabled ] || fail "install did not enable $unit"
    [ "$(in_ctr systemctl is-active $unit)" = active ] || fail "install did not start $unit: $(in_ctr systemctl status --no-pager $unit)"
done
serves_systemds_socket "$(prop echomux.service MainPID)" || fail "echomux does not serve the socket systemd holds"
echoes || fail "no echo on 7007 after install"
# The units as this systemd reads them, in a minbase root with no procps (no /bin/kill).
in_ctr dpkg-query -W procps >/dev/null 2>&1 && fail "the image has procps: verify would not see a /bin/kill"
output=$(in_ctr systemd-analyze verify --man=no echomux.service echomux.socket 2>&1) ||
    fail "systemd-analyze verify exited $?: $output"
[ -z "$output" ] || fail "systemd-analyze verify complained: $output"
pid=$(prop echomux.service MainPID)
socket_since=$(prop echomux.socket ActiveEnterTimestampMonotonic)
echo "service pid $pid, socket active since $socket_since"

echo "== upgrade"
in_ctr dpkg -i /pkg/echomux-upgrade.deb >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "the upgrade"; }
new_pid=$(prop echomux.service MainPID)
[ "$new_pid" != 0 ] && [ "$new_pid" != "$pid" ] || fail "the upgrade did not restart echomux (pid $pid, now $new_pid)"
# Restarted, a socket whose service runs fails ("Socket service ... already active, refusing")
# and the new echomux binds the port itself: the socket must stay as it was and be served.
[ "$(in_ctr systemctl is-active echomux.socket)" = active ] || fail "the upgrade left echomux.socket $(in_ctr systemctl is-active echomux.socket)"
[ "$(prop echomux.socket ActiveEnterTimestampMonotonic)" = "$socket_since" ] || fail "the upgrade restarted the socket"
serves_systemds_socket "$new_pid" || fail "the new echomux does not serve the socket systemd holds"
echoes || fail "no echo on 7007 after the upgrade"
echo "service pid $new_pid, socket still active since $socket_since"

echo "== remove"
in_ctr dpkg --remove echomux >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --remove"; }
for unit in echomux.service echomux.socket; do
    [ "$(in_ctr systemctl is-active $unit)" = inactive ] || fail "remove did not stop $unit"
done
echoes && fail "7007 still answers after remove"

echo "== purge"
in_ctr dpkg --purge echomux >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --purge"; }
in_ctr sh -c 'ls /etc/systemd/system/*.wants/echomux.* 2>/dev/null' && fail "purge left enable links"
in_ctr getent passwd echomux >/dev/null || fail "purge removed the user echomux"
echo "PASS: under systemd, install starts, upgrade restarts the service, remove stops"
