#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# The /metrics page as Prometheus' own linter reads it (`promtool check metrics`): names,
# HELP/TYPE lines, histogram and counter conventions. A busy server first, so every
# family has samples: TCP echo, a PROXY header, UDP. Exits 77 (ctest: skipped) without promtool.
# Usage: promtool_check.sh ECHOMUX_BINARY
set -eu
echomux=$1
promtool=$(command -v promtool || true)
[ -n "$promtool" ] || promtool=/opt/echomux-test-tools/usr/bin/promtool
[ -x "$promtool" ] || { echo "SKIP: promtool not found (./scripts/install-deps.sh --test unpacks it)"; exit 77; }

work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Echo on a port the kernel picks; metrics on one below the ephemeral range (0 would mean
# off), another if that one is taken.
for attempt in 1 2 3 4 5; do
    metrics=$((21000 + ($$ * 7 + attempt * 131) % 9000))
    "$echomux" --listen 127.0.0.1 --port 0 --metrics-port "$metrics" --udp on --proxy-protocol optional \
        2>"$work/log" &
    server=$!
    i=0
    until grep -q "metrics on" "$work/log" || ! kill -0 "$server" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 200 ] || { echo "echomux did not start:"; cat "$work/log"; exit 1; }
        sleep 0.05
    done
    grep -q "metrics on" "$work/log" && break
    server=
done
[ -n "$server" ] || { echo "echomux did not start:"; cat "$work/log"; exit 1; }
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/log")

[ "$(printf 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nhi' | nc -N 127.0.0.1 "$port")" = hi ] || { echo "no echo"; exit 1; }
[ "$(printf 'plain' | nc -N 127.0.0.1 "$port")" = plain ] || { echo "no echo"; exit 1; }
[ "$(printf 'datagram' | nc -u -w 1 127.0.0.1 "$port")" = datagram ] || { echo "no UDP echo"; exit 1; }
page=$(printf 'GET /metrics HTTP/1.0\r\n\r\n' | nc -N 127.0.0.1 "$metrics" | tr -d '\r' | sed '1,/^$/d')
printf '%s\n' "$page" | grep -q '^echomux_connection_duration_seconds_count{listener="main"} 2$' \
    || { echo "not the page expected after two connections:"; printf '%s\n' "$page"; exit 1; }
printf '%s\n' "$page" | "$promtool" check metrics
echo "promtool check metrics: clean ($(printf '%s\n' "$page" | grep -c '^# TYPE') metric families)"
