// SPDX-License-Identifier: BSL-1.0
// The descriptors a run needs, checked before it starts: RLIMIT_NOFILE raised as far as the
// hard limit allows, and a clear error when --idle and --connections still do not fit.
#pragma once

#include <cstddef>

namespace echomux::bench {

// stdio, the epoll instances, a /metrics scrape, the resolver: what is open besides the connections.
constexpr std::size_t kOpenFilesSlack = 64;

// Raises the soft limit to the hard limit (children started later inherit it); returns it
// (SIZE_MAX when unlimited).
std::size_t raise_open_files_limit();

// Raises the limit; throws std::runtime_error naming the numbers when `needed`
// (connections + idle + slack) is still above it.
void ensure_open_files(std::size_t connections, std::size_t idle);

}  // namespace echomux::bench
