// SPDX-License-Identifier: BSL-1.0
// The stderr line in which echomux-bench run sums the whole run (warm-up, window, drain), to
// hold against the server's own counters.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <regex>
#include <string>

namespace echomux::test {

struct WholeRun {
    std::uint64_t requests = 0, sent = 0, received = 0, connections = 0;
};

inline WholeRun whole_run(const std::string& err) {
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_search(err, m, std::regex(R"(whole run \(warm-up, window, drain\): (\d+) requests, (\d+) bytes sent, (\d+) echoed back, (\d+) connections)")),
                          err);
    return {std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4])};
}

}  // namespace echomux::test
