#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
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
# ExecReload= runs /bin/sh (dash: Essential), never /bin/kill (procps, which nothing depends
# on): the root has no /bin/kill, so verify would say "not executable" if a unit used it.
mkdir -p "$root/bin"
cp -L /bin/sh "$root/bin/sh"
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
    'ExecReload=/usr/bin/echomux --check-config --config /etc/echomux/echomux.conf' \
    "ExecReload=/bin/sh -c 'kill -HUP \$MAINPID'" DynamicUser=yes \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
    CapabilityBoundingSet= 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' LimitNOFILE=65536 \
    KillSignal=SIGTERM Restart=on-failure WatchdogSec=20; do
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

# systemctl reload, run as systemd runs ExecReload=: each line in turn, with MAINPID set,
# stopping at the first that fails (which fails the reload). A bad file must fail it before
# any SIGHUP; a good one must reach the server.
log=$root/echomux.log
reload_conf=$root/reload.conf
printf 'listen = 127.0.0.1\nport = 0\nmode = echo\n' >"$reload_conf"
"$binary" --config "$reload_conf" >/dev/null 2>"$log" &
main_pid=$!
trap 'kill -KILL "$main_pid" 2>/dev/null || true; rm -rf "$root"' EXIT
wait_for_log() {  # TEXT: polls the log for a condition, up to 5 s
    for _ in $(seq 100); do
        grep -qF "$1" "$log" && return 0
        sleep 0.05
    done
    return 1
}
# systemd expands a bare $MAINPID itself and also sets it in the environment of the command.
export MAINPID=$main_pid
systemctl_reload() {
    local line command
    while IFS= read -r line; do
        line=${line//\/usr\/bin\/echomux/$binary}
        eval "command=(${line//\/etc\/echomux\/echomux.conf/$reload_conf})"  # the unit's quoting
        "${command[@]}" >/dev/null 2>&1 || return 1
    done < <(sed -n 's/^ExecReload=//p' "$service")
}
wait_for_log "listening on" || fail "echomux did not start: $(cat "$log")"
printf 'listen = 127.0.0.1\nport = 0\nmode = shout\n' >"$reload_conf"
systemctl_reload && fail "systemctl reload with a bad conf file succeeded"
printf 'listen = 127.0.0.1\nport = 0\nmode = upper\n' >"$reload_conf"
systemctl_reload || fail "systemctl reload with a good conf file failed"
wait_for_log "reload: done: 1 setting(s) applied" || fail "the good reload did not reach echomux: $(cat "$log")"
grep -qF "the running settings stay" "$log" && fail "the bad conf file was sent to echomux: $(cat "$log")"
kill -TERM "$main_pid"
wait "$main_pid" || fail "echomux exited $? after SIGTERM"

[ $failed = 0 ] && echo "PASS: systemd units"
exit $failed
