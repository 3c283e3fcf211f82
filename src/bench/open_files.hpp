// SPDX-License-Identifier: BSL-1.0
// The descriptors a run needs, checked before it starts: RLIMIT_NOFILE raised as far as the
// hard limit allows, and a clear error when --idle and --connections still do not fit.
#pragma once

#include <cstddef>

namespace echomux::bench {

// Raises the soft limit to the hard limit; throws std::runtime_error naming the numbers
// when `needed` (connections + idle + slack) is still above it.
void ensure_open_files(std::size_t connections, std::size_t idle);

}  // namespace echomux::bench
