#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# The TLS benchmark of issue 22, side by side in one run: every echomux backend and the TLS
# anchor (echomux-tls-reference-server, a minimal OpenSSL epoll echo in C), each pinned to
# CPU 0 with echomux-bench on CPU 1, TLS 1.3 with the P-256 certificates of tls-certs.sh,
# every handshake a full one (no resumption on either side). It measures
#   server CPU per request   TLS ping-pong, 64 B x 50 connections      (target <= 1.10x anchor)
#   stream MB/s              TLS stream, 16 KiB chunks x 4 connections  (target >= 0.90x anchor)
#   server CPU per handshake new connection, handshake, one 64 B echo, close, 8 at once (<= 1.10x)
#   RSS of 10,000 idle TLS connections (target <= 64 MiB), and what one costs
# and prints a markdown table with the ratios to the anchor. A benchmark, not a test: the
# numbers move with the machine's load. Needs taskset (util-linux) and the openssl command.
#   scripts/tls-bench.sh [--quick] [--rss-only] [--build DIR]
# --quick: 1 s windows, and the 10,000 idle connections on one backend only (about a minute).
# --rss-only: only the 10,000 idle connections, on every server (8 min on the loaded 2-CPU VM).
set -euo pipefail
build=build
seconds=3
rss_backends="asio epoll-level epoll-edge poll select io_uring"
rss_only=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) seconds=1; rss_backends="epoll-level" ;;
        --rss-only) rss_only=1 ;;
        --build) build=$2; shift ;;
        *) echo "usage: $0 [--quick] [--rss-only] [--build DIR]" >&2; exit 2 ;;
    esac
    shift
done
backends="asio epoll-level epoll-edge poll select io_uring"
idle=10000
ulimit -n 20000 2>/dev/null || { echo "$0: cannot raise ulimit -n to 20000 (10,000 idle connections)" >&2; exit 1; }
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
sh "$(dirname "$0")/tls-certs.sh" "$work" >/dev/null
port=$((20000 + RANDOM % 10000))  # below the ephemeral ports; each server on the next free one

# start NAME: the server NAME (anchor, plain-BACKEND or BACKEND) on a free $port, pinned to CPU 0.
start() {
    for _ in 1 2 3 4 5; do
        port=$((port + 1))
        try_start "$1" && return 0
        grep -q "in use" "$work/server.log" || break
    done
    echo "$0: $1 did not start: $(cat "$work/server.log")" >&2
    exit 1
}
try_start() {
    local tls=(--tls-cert "$work/server.pem" --tls-key "$work/server.key")
    local argv
    case $1 in
        anchor) argv=("$build/echomux-tls-reference-server" "$port" "$work/server.pem" "$work/server.key") ;;
        plain-*) argv=("$build/echomux" --listen 127.0.0.1 --port "$port" --backend "${1#plain-}" --max-connections 10100) ;;
        *) argv=("$build/echomux" --listen 127.0.0.1 --port "$port" --backend "$1" --max-connections 10100 "${tls[@]}") ;;
    esac
    # taskset execs the server: $! is the server's PID, which --server-pid measures.
    taskset -c 0 "${argv[@]}" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do  # up to 10 s
        grep -q "listening on" "$work/server.log" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    return 1
}
# Stops the server; false, with why in $exited, when it had already exited.
stop() {
    exited=
    if ! kill "$server_pid" 2>/dev/null; then
        local status=0
        wait "$server_pid" 2>/dev/null || status=$?
        exited="server exited ($status): $(tail -1 "$work/server.log")"
        echo "$0: $exited" >&2
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    [ -z "$exited" ]
}

# bench ARGS...: one echomux-bench run against the server; its report in $work/run.txt.
bench() {
    "$build/echomux-bench" run --host localhost --port "$port" --cpu 1 --server-pid "$server_pid" \
        --warmup 0.5 --duration "$seconds" "$@" >"$work/run.txt" 2>"$work/run.err" || true
}
# The figure after PATTERN in the last run's report, or "invalid" when the run was.
figure() {
    if grep -q -E "^(INVALID|  error:)" "$work/run.txt" || ! grep -q "^errors       0$" "$work/run.txt"; then
        echo invalid
    else
        sed -n -E "s#$1#\1#p" "$work/run.txt" | head -1
    fi
}
tls=(--tls --tls-ca "$work/ca.pem")
cpu_per_request='^server CPU .*, ([0-9.]+) us per request$'

declare -A pingpong stream handshake rss per_connection
measure() {
    start "$1"
    bench "${tls[@]}" --workload pingpong --size 64 --connections 50
    pingpong[$1]=$(figure "$cpu_per_request")
    bench "${tls[@]}" --workload stream --size 16384 --connections 4
    stream[$1]=$(figure '^throughput +([0-9.]+) MB/s echoed$')
    bench "${tls[@]}" --workload handshake --size 64 --connections 8
    handshake[$1]=$(figure "$cpu_per_request")
    stop || true  # a server that died made its runs invalid already
}
# idle NAME [--tls ...]: RSS with $idle idle connections open, and what each added.
idle() {
    local name=$1
    shift
    start "$name"
    local before
    before=$(sed -n -E 's/^VmRSS: +([0-9]+) kB$/\1/p' "/proc/$server_pid/status")
    bench "$@" --workload pingpong --connections 1 --idle "$idle"
    local after
    after=$(figure '^server RSS +([0-9.]+) MiB$')
    rss[$name]=$after
    if [ "$after" = invalid ]; then per_connection[$name]=invalid
    else per_connection[$name]=$(awk -v a="$after" -v b="$before" -v n="$idle" 'BEGIN { printf "%.1f", (a * 1024 - b) / n }')
    fi
    stop || { rss[$name]="invalid: $exited"; per_connection[$name]=-; }
}

ratio() { awk -v x="$1" -v a="$2" 'BEGIN { if (x + 0 > 0 && a + 0 > 0) printf "%.2f", x / a; else print "-" }'; }

if [ -z "$rss_only" ]; then
    for server in anchor $backends; do measure "$server"; echo "measured $server" >&2; done
fi
idle anchor "${tls[@]}"
for b in $rss_backends; do idle "$b" "${tls[@]}"; echo "idle $b" >&2; done
idle plain-epoll-level  # what the same idle connections cost without TLS

echo "TLS 1.3 (TLS_AES_256_GCM_SHA384), P-256 certificate, full handshakes; server on CPU 0, echomux-bench on CPU 1;"
echo "${seconds} s windows; $(nproc) CPUs, $(uname -r). Ratios are to the anchor (echomux-tls-reference-server)."
echo
echo "| server | ping-pong 64 B x 50: server us/request | ratio (<= 1.10) | stream MB/s | ratio (>= 0.90) | server us/handshake | ratio (<= 1.10) | RSS, $idle idle TLS (MiB) | per connection (KiB) |"
echo "|---|---|---|---|---|---|---|---|---|"
a=anchor
for s in anchor $backends; do
    echo "| $s | ${pingpong[$s]:--} | $(ratio "${pingpong[$s]:-}" "${pingpong[$a]:-}") | ${stream[$s]:--} | $(ratio "${stream[$s]:-}" "${stream[$a]:-}") | ${handshake[$s]:--} | $(ratio "${handshake[$s]:-}" "${handshake[$a]:-}") | ${rss[$s]:--} | ${per_connection[$s]:--} |"
done
echo "| echomux epoll-level, plaintext | | | | | | | ${rss[plain-epoll-level]} | ${per_connection[plain-epoll-level]} |"
