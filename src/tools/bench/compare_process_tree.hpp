// SPDX-License-Identifier: BSL-1.0
// The CPU of a server that forks (a process per connection, a pre-forked pool): its whole
// process tree's, so that compare does not report the parent's near-zero share as the
// server's cost per request.
#pragma once

#include <sys/types.h>

namespace echomux::bench {

struct TreeCpu {
    double seconds = -1;      // user + system of `root` and every live descendant, plus the
                              // children they have reaped; -1 when root is gone
    double descendants = 0;   // of which not root's own threads: > 0 once it has forked
    int processes = 0;        // root and its live descendants
};

TreeCpu process_tree_cpu(pid_t root);

}  // namespace echomux::bench
