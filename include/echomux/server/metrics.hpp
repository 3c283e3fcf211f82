// SPDX-License-Identifier: BSL-1.0
// The Prometheus text page of /metrics: what the HTTP endpoint serves, built from the
// event loops' counters. Pure formatting, no I/O.
#pragma once

#include "echomux/core/service.hpp"
#include "echomux/core/stats.hpp"
#include "echomux/server/loop_watch.hpp"
#include "echomux/server/reload_stats.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace echomux {

// One listener's loops, whose series carry its name (listener="main").
struct ListenerFigures {
    const SharedState* shared;
    std::vector<const Stats*> loops;
};

struct MetricsSource {
    const SharedState& shared;  // the main listener's: the whole server's settings and counts
    std::vector<ListenerFigures> listeners;  // the main one first
    const std::atomic<bool>& draining;  // not accepting any more: open connections finish
    const std::atomic<bool>& stopping;  // SIGTERM/SIGINT seen (shutdown_delay, then draining)
    const ReloadStats* reloads = nullptr;  // none: the page has no echomux_config_* metrics
    const LoopWatch* loops = nullptr;  // none: no echomux_loop_* metrics, and no loop is ever wedged
};

// Counters of the HTTP endpoint itself, written and read on its own thread.
struct EndpointStats {
    std::uint64_t evicted = 0;  // sessions closed at metrics_max_connections to make room
    std::uint64_t refused = 0;  // requests answered 400, 413 or 431
};

// The /metrics body: every counter of each listener summed over its loops, then the
// endpoint's own and the process's.
std::string render_metrics(const MetricsSource& source, const EndpointStats& endpoint);

}  // namespace echomux
