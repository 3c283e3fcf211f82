// Optional HTTP endpoint (Boost.Beast): GET /metrics in the Prometheus text format and
// GET /healthz (200 while serving, 503 while draining). It has its own thread and
// io_context, so a scrape never delays an echo handler, whichever backend serves echo.
#pragma once

#include "echomux/config.hpp"
#include "echomux/service.hpp"
#include "echomux/stats.hpp"

#include <atomic>
#include <memory>
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
