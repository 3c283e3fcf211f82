// SPDX-License-Identifier: BSL-1.0
// Where and when a benchmark ran: the facts every report (JSON, CSV, report.md) carries so
// that a number can be traced to the machine that measured it.
#pragma once

#include <string>

namespace echomux::bench {

struct Machine {
    std::string host_name;  // gethostname()
    std::string kernel;     // uname: "Linux 6.18.44"
    std::string cpu_model;  // /proc/cpuinfo "model name"; "" if the kernel does not say
    unsigned cpus = 0;      // online CPUs
};

Machine this_machine();

// "2026-12-04T13:57:02Z"
std::string utc_timestamp();

}  // namespace echomux::bench
