// SPDX-License-Identifier: BSL-1.0
#include "open_files.hpp"

#include <sys/resource.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace echomux::bench {

std::size_t raise_open_files_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
}

void ensure_open_files(std::size_t connections, std::size_t idle) {
    const std::size_t limit = raise_open_files_limit();
    const std::size_t needed = connections + idle + kOpenFilesSlack;
    if (needed > limit) {
        rlimit hard{};
        ::getrlimit(RLIMIT_NOFILE, &hard);
        throw std::runtime_error("not enough file descriptors: " + std::to_string(connections) + " connections + " +
                                 std::to_string(idle) + " idle + " + std::to_string(kOpenFilesSlack) + " spare = " +
                                 std::to_string(needed) + ", but the open file limit is " + std::to_string(limit) +
                                 " (hard limit " + std::to_string(hard.rlim_max) +
                                 "; raise it with ulimit -Hn as root, or ask for fewer)");
    }
}

}  // namespace echomux::bench
