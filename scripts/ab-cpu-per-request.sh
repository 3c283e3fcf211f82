#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# Server CPU per request of two echomux binaries, side by side on this machine: ping-pong,
# 64 B x 50 connections, ROUNDS rounds alternating A and B (machines are noisy: compare the
# pairs, not single runs). Prints each run and the median of the per-round B/A ratios.
# Usage: ab-cpu-per-request.sh A_BINARY B_BINARY [ROUNDS] [SECONDS]
set -eu
a=$1 b=$2 rounds=${3:-4} seconds=${4:-4}
bench=$(dirname "$0")/../build/echomux-bench
ratios=()
for round in $(seq "$rounds"); do
    declare -A us=()
    for which in A B; do
        if [ $which = A ]; then binary=$a; else binary=$b; fi
        log=$(mktemp)
        "$binary" --listen 127.0.0.1 --port 0 2>"$log" &
        pid=$!
        for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")
        json=$("$bench" run --port "$port" --connections 50 --size 64 --duration "$seconds" --server-pid "$pid" --json)
        kill "$pid"; wait "$pid" 2>/dev/null || true
        rm -f "$log"
        us[$which]=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["server_us_per_request"])' <<<"$json")
        rate=$(python3 -c 'import json,sys; print(round(json.load(sys.stdin)["requests_per_second"]))' <<<"$json")
        echo "round $round $which: ${us[$which]} us/request, $rate requests/s"
    done
    ratios+=("$(python3 -c "print(${us[B]} / ${us[A]})")")
done
python3 -c "
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print(f'B/A server CPU per request: median {statistics.median(r):.3f} (rounds {r[0]:.3f} to {r[-1]:.3f})')" "${ratios[@]}"
