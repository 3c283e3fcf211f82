#!/bin/bash
# The systemd units (deploy/systemd) as systemd reads them, without a running systemd:
# `systemd-analyze verify` in a throw-away root holding the built binary as /usr/bin/echomux
# (any complaint fails, warnings too), the hardening score of `systemd-analyze security
# --offline`, and the service's ExecStart= run for real (--print-config) on the packaged
# conf file. Exit 77 (skipped) only when systemd-analyze is missing.
# Usage: unit_files_test.sh SOURCE_DIR ECHOMUX_BINARY
set -eu
source_dir=$1
binary=$2
units=$source_dir/deploy/systemd
# 2.0 on systemd's 0-10 exposure scale ("OK" goes up to 4.9); the units score 1.2 today.
max_exposure=20

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
    exit 77
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd/system"
cp "$binary" "$root/usr/bin/echomux"
# ExecReload= runs /bin/kill (procps), as on Debian.
mkdir -p "$root/bin"
cp /bin/kill "$root/bin/kill"
# The targets and slices every unit depends on implicitly (sysinit.target, ...).
cp -L /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "$root/usr/lib/systemd/system/"
cp "$units"/echomux.service "$units"/echomux.socket "$root/etc/systemd/system/"

failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

output=$(systemd-analyze verify --man=no --root="$root" \
    "$root/etc/systemd/system/echomux.service" "$root/etc/systemd/system/echomux.socket" 2>&1) ||
    fail "systemd-analyze verify exited $?"
[ -z "$output" ] || fail "systemd-analyze verify complained: $output"

output=$(systemd-analyze security --offline=yes --threshold=$max_exposure "$units/echomux.service" 2>&1) ||
    fail "exposure above $max_exposure/100: $(echo "$output" | grep -v '^✓')"
echo "$output" | grep 'Overall exposure level'

# The properties the README and the unit's comments promise.
expect_line() {  # FILE LINE
    grep -qxF "$2" "$1" || fail "$(basename "$1") has no line '$2'"
}
service=$units/echomux.service
for line in Type=notify 'ExecStart=/usr/bin/echomux --config /etc/echomux/echomux.conf' \
    'ExecReload=/bin/kill -HUP $MAINPID' DynamicUser=yes \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
    CapabilityBoundingSet= 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' LimitNOFILE=65536 \
    KillSignal=SIGTERM Restart=on-failure; do
    expect_line "$service" "$line"
done
for line in ListenStream=7007 Accept=no; do
    expect_line "$units/echomux.socket" "$line"
done
# TimeoutStopSec= must outlast the drain the packaged conf file asks for.
conf=$source_dir/conf/echomux.conf
stop=$(sed -n 's/^TimeoutStopSec=//p' "$service")
drain=$(sed -n 's/^drain_timeout = //p' "$conf")
delay=$(sed -n 's/^shutdown_delay = //p' "$conf")
awk -v s="$stop" -v d="$drain" -v w="$delay" 'BEGIN { exit !(s > d + w) }' ||
    fail "TimeoutStopSec=$stop is not above drain_timeout $drain + shutdown_delay $delay"

# ExecStart= as written, with the built binary and the packaged conf file: it must start
# from that conf file (here only as far as --print-config, which validates every key).
exec_start=$(sed -n 's/^ExecStart=//p' "$service")
read -r -a command <<<"${exec_start//\/etc\/echomux\/echomux.conf/$conf}"
command[0]=$binary
"${command[@]}" --print-config >/dev/null || fail "ExecStart= with the packaged conf file exited $?"

[ $failed = 0 ] && echo "PASS: systemd units"
exit $failed
