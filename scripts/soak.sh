#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# A soak run (issue 26; not in CI): mixed load on every backend in turn, each for an equal
# share of SECONDS (default 600), every byte verified, the server watched each second.
#   scripts/soak.sh [SECONDS]        (needs ./build/echomux and ./build/echomux-bench, python3)
# Per backend, one echomux (2 threads) with a plaintext port (and UDP), a PROXY-required
# listener, a TLS listener and /metrics, loaded at once by:
#   echomux-bench: ping-pong (open loop, mixed sizes, 100 idle connections alongside),
#     stream, churn (new connection each message), TLS ping-pong, TLS churn, UDP ping-pong;
#     each verifies every byte and exits 1 on any error;
#   scripts/soak_load.py: PROXY v1/v2 clients, slow readers, half-closing clients, bad clients
#     (garbage then reset, half-open, silent, garbage PROXY and TLS), /metrics scrapes, SIGHUP
#     every 10 s, and each second the server's RSS, descriptors, CPU and an echo and /livez
#     probe that must answer within 2 s.
# Then SIGTERM, which must drain and exit 0; scripts/soak_report.py fits RSS and descriptor
# slopes after warm-up (a quarter of the share, at least 20 s) against its stated bounds, and
# says how many connections the kernel reset for lack of TCP memory meanwhile (a shared host).
# Prints a Markdown table (docs/soak.md has one); exits 1 on any error or upward trend.
# Output and logs: build/soak/<backend>/. Ports from SOAK_PORT (default 29170) upward.
# SOAK_BACKENDS="epoll-edge io_uring" soaks only those (where the kernel refuses io_uring, its
# start fails, and so does the soak: leave it out).
set -u
cd "$(dirname "$0")/.."

seconds=${1:-600}
backends=${SOAK_BACKENDS:-asio epoll-level epoll-edge poll select io_uring}
base_port=${SOAK_PORT:-29170}
out=build/soak
bin=./build
for tool in "$bin/echomux" "$bin/echomux-bench"; do
    [ -x "$tool" ] || { echo "soak.sh: $tool is missing: build first (README, Quick start)" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out"
scripts/tls-certs.sh "$out/certs" >/dev/null || exit 2

set -- $backends
share=$((seconds / $#))
if [ "$share" -lt 60 ]; then echo "soak.sh: $seconds s is under a minute per backend" >&2; exit 2; fi
warmup=$((share / 4 > 20 ? share / 4 : 20))
load=$((share - 6))  # the bench's window; its warm-up and drain fit in the rest

# Waits (bounded: 10 s) until the server answers /livez.
await_livez() {
    for _ in $(seq 100); do
        python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$1),1); s.sendall(b'GET /livez HTTP/1.0\r\n\r\n'); sys.exit(0 if b' 200 ' in s.recv(100) else 1)" 2>/dev/null && return 0
        sleep 0.1  # polling the server's start, bounded
    done
    return 1
}

# Connections the kernel reset for lack of TCP memory so far (tcp_mem is the whole host's).
memory_aborts() {
    awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) col[$i] = i; n = 1 } else print $col["TCPAbortOnMemory"] }' /proc/net/netstat
}

soak_one() {  # backend port
    local backend=$1 port=$2 dir=$out/$1 status=0
    local proxy_port=$((port + 1)) tls_port=$((port + 2)) metrics_port=$((port + 3))
    mkdir -p "$dir"
    cat >"$dir/echomux.conf" <<EOF
listen = 127.0.0.1
port = $port
udp = on
udp_rate_per_source = 0
backend = $backend
threads = 2
metrics_port = $metrics_port
tls_port = $tls_port
tls_cert = $PWD/$out/certs/server.pem
tls_key = $PWD/$out/certs/server.key

[listener proxied]
port = $proxy_port
proxy_protocol = required
EOF
    "$bin/echomux" --config "$dir/echomux.conf" >"$dir/server.log" 2>&1 &
    local pid=$!
    if ! await_livez "$metrics_port"; then
        echo "| $backend | did not start: $(tail -1 "$dir/server.log") |"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 1
    fi

    local aborts_before
    aborts_before=$(memory_aborts)
    local bench="$bin/echomux-bench run --host 127.0.0.1 --warmup 1 --duration $load --json"
    local tls="--tls --tls-ca $out/certs/ca.pem --tls-sni localhost --port $tls_port"
    local runs=()
    run() {  # name, then the bench's options
        local name=$1
        shift
        $bench "$@" >"$dir/bench-$name.json" 2>"$dir/bench-$name.log" &
        runs+=("$!:$name")
    }
    run pingpong --port "$port" -c 16 --idle 100 --sizes 64,512,4096 --rate 2000
    run stream --port "$port" -w stream -c 2 -s 16384
    run churn --port "$port" --connect-rate 200 -c 1
    run tls-pingpong $tls -c 8 --rate 500
    run tls-churn $tls --connect-rate 20 -c 1
    run udp --port "$port" -w udp -c 2
    python3 scripts/soak_load.py "$pid" "$port" "$proxy_port" "$tls_port" "$metrics_port" "$load" \
        "$dir/samples.csv" "$dir/load.json" 2>"$dir/load.log" || status=1

    local jsons=()
    for r in "${runs[@]}"; do
        wait "${r%%:*}" || { status=1; echo "  $backend: echomux-bench ${r#*:} failed ($dir/bench-${r#*:}.log)" >&2; }
        jsons+=("$dir/bench-${r#*:}.json")
    done
    kill -TERM "$pid"
    local exited=1
    for _ in $(seq 150); do  # drain_timeout is 10 s; 15 s at most
        kill -0 "$pid" 2>/dev/null || { exited=0; break; }
        sleep 0.1  # polling the exit, bounded
    done
    if [ $exited -ne 0 ]; then
        echo "  $backend: still running 15 s after SIGTERM" >&2
        kill -KILL "$pid"
        status=1
    fi
    wait "$pid" || { echo "  $backend: exit status $? after SIGTERM" >&2; status=1; }
    python3 scripts/soak_report.py "$backend" "$warmup" $(($(memory_aborts) - aborts_before)) "$dir/samples.csv" "$dir/load.json" "${jsons[@]}" || status=1
    return $status
}

echo "soak: $seconds s, $share s per backend ($*), warm-up $warmup s; logs in $out/"
echo
echo "| backend | time | RSS start → end (max) | RSS slope KiB/min | fds | fd slope /min | server CPU | requests | SIGHUPs | slowest probe | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
failed=0
port=$base_port
for backend in "$@"; do
    soak_one "$backend" "$port" || failed=1
    port=$((port + 10))  # no wait for the last ports' TIME_WAIT
done
exit $failed
