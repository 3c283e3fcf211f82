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
    bool full = false;        // the whole matrix; the default is the cells that decide its conclusions
    // The defaults here are --full's; compare_command sets the default run's and --quick's.
    int repeats = 5;          // each cell, servers interleaved; each figure's median over the valid runs is reported
    double duration = 0.5;    // seconds measured per run
    double warmup = 0.15;
    std::string out_dir = "bench-results";
    std::string echomux;      // binaries
    std::string reference;
    std::vector<std::string> backends;  // empty: every backend `echomux --version` lists
    std::vector<int> idle_sweep = {0, 100, 1000, 10000, 50000};  // idle connections next to ping-pong 64 B x 50
    std::vector<double> rate_fractions = {0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1};  // of each server's saturation
    std::vector<std::pair<std::string, std::string>> external;  // name, shell command with {port}
    // --tls: TLS cells too, against a TLS listener beside each echomux backend's plaintext one
    // and the TLS anchor (a minimal OpenSSL epoll echo in C), with certificates made for the run.
    bool tls = false;
    std::string tls_reference;     // the TLS anchor ('' = none)
    std::string tls_certs_script;  // scripts/tls-certs.sh: makes them into OUT/tls
    int server_cpu = 1;       // -1: no pinning
    int client_cpu = 0;
    std::string command_line; // for the report
    std::vector<std::string> arguments;  // for results.json
};

// Returns the exit status: 0, or 1 when a server failed, any run saw errors, or a cell
// has no valid run.
int run_compare(const CompareOptions& options);

}  // namespace echomux::bench
