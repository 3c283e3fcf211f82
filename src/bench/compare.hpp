// SPDX-License-Identifier: BSL-1.0
// `echomux-bench compare`: every backend (and the reference C server, and any external
// server) through the same workload matrix, side by side in one run, into a Markdown
// report, JSON and gnuplot PNGs.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace echomux::bench {

struct CompareOptions {
    bool quick = false;
    int repeats = 5;          // each cell; the median run (by req/s) is reported
    double duration = 0.5;    // seconds measured per run
    double warmup = 0.15;
    std::string out_dir = "bench-results";
    std::string echomux;      // binaries
    std::string reference;
    std::vector<std::string> backends = {"asio", "epoll-level", "epoll-edge", "poll", "select"};
    std::vector<std::pair<std::string, std::string>> external;  // name, shell command with {port}
    int server_cpu = 1;       // -1: no pinning
    int client_cpu = 0;
    std::string command_line; // for the report
};

// Returns the exit status: 0, or 1 when a server failed or any run saw errors.
int run_compare(const CompareOptions& options);

}  // namespace echomux::bench
