// SPDX-License-Identifier: BSL-1.0
// Presenting a load run to people (JSON: json_report.hpp, CSV: csv_report.hpp).
#pragma once

#include "load.hpp"

#include <string>

namespace echomux::bench {

std::string describe(const Workload& w);
std::string human_report(const Workload& w, const Result& r);
std::string format_ns(std::uint64_t ns);  // "12.3 us": three significant digits, as measured
std::string percentile_name(double percentile);  // 99.9 -> "99.9", 50 -> "50"
// printf into a string (at most 511 characters: table cells and lines).
std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace echomux::bench
