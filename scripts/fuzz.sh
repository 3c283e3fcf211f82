#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# Coverage-guided fuzzing of every parser and of the protocol core (test/fuzz, issue 26).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]
#   Builds the libFuzzer targets with clang-16, ASan and UBSan in build-fuzz/, runs each
#   for SECONDS (default 60) from its committed corpus and regressions, then merges what
#   adds coverage into test/fuzz/corpus/<target>/ (-merge=1: the smallest inputs that
#   reach it). Exit 0 when nothing was found; otherwise non-zero, with the crash file's
#   path for each failing target (turn it into test/fuzz/regressions/<target>/<name>).
# Needs: apt-get install clang-16 libclang-rt-16-dev
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-proxy_header config reply_text metrics_http connection tls}

command -v clang++-16 >/dev/null || { echo "fuzz.sh: clang++-16 is missing: apt-get install clang-16 libclang-rt-16-dev" >&2; exit 2; }
CC=clang-16 CXX=clang++-16 cmake -S . -B build-fuzz -DECHOMUX_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
set --  # the targets named on the command line are in $targets now
for t in $targets; do set -- "$@" "fuzz_$t"; done
cmake --build build-fuzz -j2 --target "$@"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
for t in $targets; do
    bin=build-fuzz/test/fuzz/fuzz_$t
    work=build-fuzz/fuzz-work/$t
    rm -rf "$work"
    mkdir -p "$work/new" "$work/artifacts"
    case $t in
        proxy_header) max_len=2200 ;;   # kMaxHeaderBytes and a little more
        metrics_http) max_len=12000 ;;  # past the 8 KiB header limit
        tls) max_len=8192 ;;            # a ClientHello of raw bytes, several records of plaintext
        *) max_len=4096 ;;
    esac
    dict=
    [ -f "test/fuzz/$t.dict" ] && dict=-dict=test/fuzz/$t.dict
    mkdir -p "test/fuzz/regressions/$t"
    # New inputs go to $work/new first (the first directory), the committed ones stay as they are.
    if "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" $dict "$work/new" "test/fuzz/corpus/$t" "test/fuzz/regressions/$t" \
        >"$work/log" 2>&1; then
        status=ok
    else
        status=FAILED
        found=1
    fi
    cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
    execs=$(grep 'stat::average_exec_per_sec' "$work/log" | awk '{print $2}')
    echo "$t: $status, ${cov:-cov: ?}, ${execs:-?} exec/s, $(ls "$work/new" | wc -l) new inputs (log: $work/log)"
    for crash in "$work"/artifacts/*; do
        [ -e "$crash" ] && echo "  found: $crash (replay: $bin $crash)"
    done
    # Whatever reaches new coverage, minimised, joins the committed corpus (review, then commit).
    before=$(ls "test/fuzz/corpus/$t" | wc -l)
    "$bin" -merge=1 -max_len="$max_len" -timeout=10 "test/fuzz/corpus/$t" "$work/new" >"$work/merge.log" 2>&1 || true
    echo "  corpus: $before -> $(ls "test/fuzz/corpus/$t" | wc -l) files"
done
exit $found
