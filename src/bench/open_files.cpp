// SPDX-License-Identifier: BSL-1.0
#include "open_files.hpp"

#include <sys/resource.h>

#include <stdexcept>
#include <string>

namespace echomux::bench {

namespace {
// stdio, the epoll instances, a /metrics scrape, the resolver: what is open besides the connections.
constexpr std::size_t kSlack = 64;
}  // namespace

void ensure_open_files(std::size_t connections, std::size_t idle) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    const std::size_t needed = connections + idle + kSlack;
    if (limit.rlim_cur != RLIM_INFINITY && needed > limit.rlim_cur)
        throw std::runtime_error("not enough file descriptors: " + std::to_string(connections) + " connections + " +
                                 std::to_string(idle) + " idle + " + std::to_string(kSlack) + " spare = " +
                                 std::to_string(needed) + ", but the open file limit is " +
                                 std::to_string(limit.rlim_cur) + " (hard limit " + std::to_string(limit.rlim_max) +
                                 "; raise it with ulimit -Hn as root, or ask for fewer)");
}

}  // namespace echomux::bench
