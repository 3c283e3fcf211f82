// SPDX-License-Identifier: BSL-1.0
// compare's judgement of a run that measured the machine, not the server: throughput far
// below the cell's other runs while neither the server nor the load generator was busy
// means the two were starved of CPU or interfered with (another job, a throttled VM), and
// the run is invalid as "starved / interfered": it leaves the medians and the conclusions.
#pragma once

#include "compare_report.hpp"

#include <vector>

namespace echomux::bench {

// A run is starved when its req/s is under kStarvedShare of its reference while the server
// and the load generator each used under kIdleShare of a core in the window. The reference:
// the median req/s of the cell's other valid runs, every server's (the servers of a cell
// are comparable), or in the rate sweep the rate the run was asked for.
constexpr double kStarvedShare = 0.25;
constexpr double kIdleShare = 0.25;
constexpr const char* kStarvedReason = "starved / interfered";  // how each such reason begins

// Marks the starved runs of one cell (every server's runs of it) invalid, with the figures
// that made them so. References are taken before any run is marked.
void mark_starved_runs(const std::vector<CellRuns*>& cell, bool rate_sweep);
int starved_runs(const CellRuns& runs);  // how many of them are marked starved

}  // namespace echomux::bench
