// SPDX-License-Identifier: BSL-1.0
// Optional HTTP endpoint (Boost.Beast): GET /metrics in the Prometheus text format and
// GET /healthz (200 while serving, 503 while draining). It has its own thread and
// io_context, so a scrape never delays an echo handler, whichever backend serves echo.
// Whoever reaches the port is a stranger: at most metrics_max_connections sessions (a new
// one is served, the one most overdue gives way: silent, trickling or not reading its
// answer; never one being answered), 8 KiB of header, no body, fixed deadlines, and an exact
// status (400, 404, 405, 413, 431) for anything else.
#pragma once

#include "echomux/server/metrics.hpp"

#include <memory>
#include <string>

namespace echomux {

class MetricsServer {
public:
    // Binds config.metrics_listen:metrics_port; throws std::runtime_error with one clear line.
    explicit MetricsServer(MetricsSource source);
    ~MetricsServer();  // stops serving and joins the thread
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    const std::string& address() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace echomux
