// SPDX-License-Identifier: BSL-1.0
// One event loop thread of the server, whatever mechanism drives it.
#pragma once

#include "echomux/backends/loop_heartbeat.hpp"
#include "echomux/util/fd.hpp"
#include "echomux/core/config.hpp"
#include "echomux/core/stats.hpp"

#include <functional>

namespace echomux {

class EventLoop {
public:
    virtual ~EventLoop() = default;
    // Serves until a drain has finished: every connection closed or drain_timeout passed.
    virtual void run() = 0;
    // Stop accepting and start draining. Safe to call from any thread.
    virtual void request_drain() = 0;
    // Take these settings (a reload: see Service::reconfigure) before the next callback,
    // then call `applied` (on the loop's thread). Safe to call from any thread.
    virtual void request_reconfigure(const Config& next, std::function<void()> applied) = 0;
    virtual const Stats& stats() const = 0;
    // When it last turned and how busy it has been: read from any thread (/livez, /metrics).
    virtual const LoopHeartbeat& heartbeat() const = 0;
};

}  // namespace echomux
