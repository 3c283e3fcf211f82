// SPDX-License-Identifier: BSL-1.0
#include "server_cost.hpp"

#include <stdexcept>

namespace echomux::bench {

namespace {
constexpr const char* kCpuMetric = "process_cpu_seconds_total";
constexpr const char* kMemoryMetric = "process_resident_memory_bytes";
}  // namespace

ServerCost::ServerCost(const Workload& w) : pid_(w.server_pid) {
    if (pid_ > 0 && process_cpu_seconds(pid_) < 0)
        throw std::runtime_error("--server-pid " + std::to_string(pid_) + ": no such process");
    if (!w.metrics_url.empty()) {
        scrape_.emplace(w.metrics_url);
        scrape_->sample(kCpuMetric);  // throws, naming the URL, if it cannot be read
    }
}

double ServerCost::cpu_seconds() const {
    if (pid_ > 0) return process_cpu_seconds(pid_);
    if (!scrape_) return -1;
    try {
        return scrape_->sample(kCpuMetric);
    } catch (const std::exception&) {
        return -1;  // a stalled server may not answer: the figure is unknown, not an error
    }
}

long ServerCost::rss_kib() const {
    if (pid_ > 0) return process_rss_kib(pid_);
    if (!scrape_) return -1;
    try {
        return static_cast<long>(scrape_->sample(kMemoryMetric) / 1024);
    } catch (const std::exception&) {
        return -1;
    }
}

void ServerCost::finish(Result& r) const {
    const double end = cpu_seconds();
    if (at_start_ < 0 || end < 0) return;
    r.server_cpu_seconds = end - at_start_;
    r.server_rss_kib = rss_kib();
}

}  // namespace echomux::bench
