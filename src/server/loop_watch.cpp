// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/loop_watch.hpp"

#include <cmath>
#include <cstdio>

namespace echomux {

LoopWatch::LoopWatch(std::vector<WatchedLoop> loops, double timeout_seconds, const Clock& clock)
    : loops_(std::move(loops)), timeout_us_(std::llround(timeout_seconds * 1e6)), clock_(clock) {}

std::optional<std::string> LoopWatch::wedged() const {
    if (timeout_us_ <= 0) return std::nullopt;
    const long long now = clock_.now_us();
    const WatchedLoop* worst = nullptr;
    long long worst_us = 0;
    for (const WatchedLoop& loop : loops_) {
        const long long stalled = loop.heartbeat->stalled_us(now);
        if (stalled > timeout_us_ && stalled > worst_us) {
            worst = &loop;
            worst_us = stalled;
        }
    }
    if (!worst) return std::nullopt;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(worst_us) / 1e6);
    return "loop " + worst->listener + "/" + std::to_string(worst->index) + " (" + worst->backend +
           ") has not turned for " + seconds + " s";
}

}  // namespace echomux
