// The Prometheus text page of /metrics: what the HTTP endpoint serves, built from the
// event loops' counters. Pure formatting, no I/O.
#pragma once

#include "echomux/service.hpp"
#include "echomux/stats.hpp"

#include <atomic>
#include <string>
#include <vector>

namespace echomux {

struct MetricsSource {
    const SharedState& shared;
    std::vector<const Stats*> loops;
    const std::atomic<bool>& draining;
};

// The /metrics body: every counter summed over the loops.
std::string render_metrics(const MetricsSource& source);

}  // namespace echomux
