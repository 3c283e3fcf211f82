// SPDX-License-Identifier: BSL-1.0
#include "validity.hpp"

#include <cstdio>

namespace echomux::bench {

namespace {
constexpr double kClientBound = 0.95;   // of one core, per load thread
constexpr double kWindowSlack = 1e-3;   // s: a window this much short of the asked one is still whole
constexpr double kRateReached = 0.95;   // --rate: below this share of the asked rate, say so
}  // namespace

void judge(const Workload& w, Result& r, const std::vector<double>& thread_cpu_seconds) {
    char text[200];
    r.asked_seconds = w.duration;
    if (r.seconds < w.duration - kWindowSlack) {
        std::snprintf(text, sizeof text, "window %.3f s of %g s asked", r.seconds, w.duration);
        r.invalid.emplace_back(text);
    }
    if (r.requests == 0 && (w.connect_rate > 0 ? r.connects == 0 : true))
        r.invalid.emplace_back("no request completed in the window");
    if (r.seconds <= 0) return;
    for (std::size_t i = 0; i < thread_cpu_seconds.size(); ++i) {
        const double share = thread_cpu_seconds[i] / r.seconds;
        if (share < kClientBound) continue;
        if (thread_cpu_seconds.size() == 1)
            std::snprintf(text, sizeof text, "bound by the load generator (client CPU %.0f%%)", 100 * share);
        else
            std::snprintf(text, sizeof text, "bound by the load generator (client CPU %.0f%% on load thread %zu of %zu)",
                          100 * share, i + 1, thread_cpu_seconds.size());
        r.notes.emplace_back(text);
    }
    if (w.rate > 0 && r.valid() && r.requests_per_second() < kRateReached * w.rate) {
        std::snprintf(text, sizeof text, "rate not reached: %.0f req/s of %g asked",
                      r.requests_per_second(), w.rate);
        r.notes.emplace_back(text);
    }
}

}  // namespace echomux::bench
