#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# Server CPU per request of two echomux binaries, side by side on this machine: ping-pong,
# 64 B x 50 connections, ROUNDS rounds alternating A and B (machines are noisy: compare the
# pairs, not single runs). Prints each run and the median of the per-round B/A ratios.
# A shorthand for scripts/cpu-per-request.py, which does the measuring (and more servers).
# Usage: ab-cpu-per-request.sh A_BINARY B_BINARY [ROUNDS] [SECONDS]
set -eu
if [ $# -lt 2 ] || [ $# -gt 4 ]; then
    echo "usage: $0 A_BINARY B_BINARY [ROUNDS] [SECONDS]" >&2
    exit 2
fi
exec "$(dirname "$0")/cpu-per-request.py" --rounds "${3:-4}" --seconds "${4:-4}" \
    "A=$1 --listen 127.0.0.1 --port {port}" "B=$2 --listen 127.0.0.1 --port {port}"
