// SPDX-License-Identifier: BSL-1.0
// Every event loop's heartbeat, by name, against liveness_timeout: what /livez, /healthz,
// the systemd watchdog and echomux_loop_busy_seconds_total read. Any thread may ask; the
// loops only write their heartbeats.
#pragma once

#include "echomux/backends/loop_heartbeat.hpp"
#include "echomux/core/clock.hpp"

#include <optional>
#include <string>
#include <vector>

namespace echomux {

struct WatchedLoop {
    std::string listener;  // its listener's name: "main"
    unsigned index;        // among that listener's loops, from 0 (the metric's loop="0")
    std::string backend;   // as `backend` names it: "epoll-edge"
    const LoopHeartbeat* heartbeat;
};

class LoopWatch {
public:
    // timeout_seconds: liveness_timeout (0: no loop is ever wedged).
    LoopWatch(std::vector<WatchedLoop> loops, double timeout_seconds, const Clock& clock = monotonic_clock());

    // The loop out of its wait longest, if longer than the timeout, said as
    // "loop main/0 (epoll-edge) has not turned for 7.3 s"; nullopt while every loop turns.
    std::optional<std::string> wedged() const;
    const std::vector<WatchedLoop>& loops() const { return loops_; }

private:
    std::vector<WatchedLoop> loops_;
    long long timeout_us_;
    const Clock& clock_;
};

}  // namespace echomux
