// SPDX-License-Identifier: BSL-1.0
// A latency histogram as HdrHistogram's percentile distribution text (the .hgrm file
// wrk2 prints and the HdrHistogram plotter reads): "Value Percentile TotalCount
// 1/(1-Percentile)" rows, values in microseconds, and the #[Mean ...] footer.
#pragma once

#include "histogram.hpp"

#include <string>

namespace echomux::bench {

// Rows at HdrHistogram's percentile steps (5 ticks per half distance to 100 %).
std::string hgrm(const Histogram& h);
// Writes hgrm(h) to `path`; throws std::runtime_error naming the path if it cannot.
void write_hgrm(const std::string& path, const Histogram& h);

}  // namespace echomux::bench
