#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# Bash completion (packaging/bash-completion/echomux) against the built programs: the
# completion functions are called as bash calls them (COMP_WORDS, COMP_CWORD) and the
# replies compared with what the programs accept.
# Usage: completion_test.sh COMPLETION_SCRIPT PROGRAM_DIR
set -eu
script=$1
PATH=$2:$PATH
export PATH
# shellcheck source=/dev/null
source "$script"

failed=0
# complete "WORDS": sets COMPREPLY as bash would for WORDS typed so far (a trailing space
# starts a new, empty word).
complete_words() {
    local line=$1 function
    read -r -a COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    function=$(complete -p "${COMP_WORDS[0]}" | sed -E 's/.*-F ([^ ]+) .*/\1/')
    COMPREPLY=()
    # As bash runs completions: without errexit (their greps may find nothing).
    set +e
    "$function"
    set -e
}

# expect "WORDS" "REPLY"
expect() {
    complete_words "$1"
    if [ "${COMPREPLY[*]}" != "$2" ]; then
        echo "FAIL: [$1] completes to [${COMPREPLY[*]}], expected [$2]"
        failed=1
    fi
}

# echomux: flags from --help, choice values from its validation, files for --config.
expect "echomux --ba" "--backend --backlog --bandwidth"
expect "echomux --print-c" "--print-config"
expect "echomux --mode " "echo upper prefix"
expect "echomux --backend " "asio auto epoll epoll-level epoll-edge poll select io_uring"
expect "echomux --epoll-mode = e" "edge"
expect "echomux --log-level=w" "--log-level=warn"
expect "echomux --proxy-protocol " "off optional required"
expect "echomux --access-log " "on off"
expect "echomux --port " ""
expect "echomux --config $(dirname "$script")/ech" "$(dirname "$script")/echomux"
expect "echomux -c $(dirname "$script")/ech" "$(dirname "$script")/echomux"
# Every setting of --print-config is offered as a flag.
for key in $(echomux --print-config | sed -n -E 's/^([a-z_]+) =.*/\1/p'); do
    complete_words "echomux --${key//_/-}"
    if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "--${key//_/-}"; then
        echo "FAIL: [echomux --${key//_/-}] does not offer --${key//_/-}: [${COMPREPLY[*]}]"
        failed=1
    fi
done

# echomux-client and echomux-bench: subcommands, then that subcommand's flags and values.
expect "echomux-client " "two-socket selectors interactive udp tally"
expect "echomux-client s" "selectors"
expect "echomux-client two-socket --mo" "--mode"
expect "echomux-client interactive --mode " "echo upper prefix"
expect "echomux-client interactive --greeting-l" "--greeting-lines"
expect "echomux-bench run --mode " "echo upper prefix"
expect "echomux-client nonsense --" ""
expect "echomux-bench " "run compare"
expect "echomux-bench run --wo" "--workload"
expect "echomux-bench run --workload " "pingpong stream udp handshake"
expect "echomux-bench compare --qu" "--quick"

[ $failed = 0 ] && echo "PASS"
exit $failed
