// SPDX-License-Identifier: BSL-1.0
// The backends the tests run against, as ECHOMUX_TEST_BACKEND names them (asio, epoll-level,
// epoll-edge, poll, select, io_uring): one list, ECHOMUX_BACKENDS in test/CMakeLists.txt.
#pragma once

#include <string>
#include <vector>

namespace echomux::test {

const std::vector<std::string>& all_backends();

}  // namespace echomux::test
