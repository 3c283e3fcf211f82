// SPDX-License-Identifier: BSL-1.0
// Where the server's CPU time comes from: /proc for a local --server-pid (all its threads,
// nanosecond schedstat), or the server's own /metrics (process_cpu_seconds_total) for
// --metrics-url, which also reaches a server on another host or in another pod.
#pragma once

#include "load.hpp"
#include "metrics_scrape.hpp"

#include <optional>

namespace echomux::bench {

class ServerCost {
public:
    // Checks the source once, so a wrong PID or URL fails before the run, not after it.
    explicit ServerCost(const Workload& w);
    bool measured() const { return pid_ > 0 || scrape_.has_value(); }
    double cpu_seconds() const;  // so far; -1 when not measured or unreadable
    long rss_kib() const;        // -1 when unknown

    void start() { at_start_ = cpu_seconds(); }
    // The server CPU used since start(), into r (server_cpu_seconds, server_rss_kib).
    void finish(Result& r) const;

private:
    int pid_ = 0;
    std::optional<MetricsScrape> scrape_;
    double at_start_ = -1;
};

}  // namespace echomux::bench
