// SPDX-License-Identifier: BSL-1.0
// What every Prometheus exporter says about its own process (the client-library
// guidelines' process_* metrics): CPU time, memory, descriptors, start time. Read from the
// kernel at scrape time, so the hot path pays nothing for them.
#pragma once

#include <cstdint>

namespace echomux {

struct ProcessFigures {
    double cpu_seconds = 0;             // user + system, all threads
    std::uint64_t resident_bytes = 0;   // RSS
    std::uint64_t virtual_bytes = 0;
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;          // RLIMIT_NOFILE, soft
    double start_time_seconds = 0;      // since the Unix epoch
};

// Figures for this process now; one that cannot be read stays 0.
ProcessFigures read_process_figures();

}  // namespace echomux
