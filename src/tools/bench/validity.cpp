// SPDX-License-Identifier: BSL-1.0
#include "validity.hpp"

#include <cstdio>

namespace echomux::bench {

namespace {
constexpr double kClientBound = 0.95;   // of one core, per load thread
constexpr double kWindowSlack = 1e-3;   // s: a window this much short of the asked one is still whole
constexpr double kRateReached = 0.95;   // --rate: below this share of the asked rate, say so
// udp without --metrics-url: datagrams lost on loopback while the generator and the server
// (when measured) each used under this share of a core were dropped by choice, not for
// want of CPU or buffer: the pattern of a per-source rate limit.
constexpr double kQuiet = 0.5;

constexpr const char* kRateHint =
    "hint: every datagram comes from one source address; run the server with udp_rate_per_source = 0 (or above "
    "the rate to measure), or send from several addresses";

// Marks a UDP run limited by the server's per-source rate limit: from the server's own
// counter when --metrics-url gave it, else from the loss pattern.
void judge_udp_limit(Result& r) {
    char text[300];
    if (r.server_rate_limited > 0) {
        std::snprintf(text, sizeof text,
                      "limited by udp_rate_per_source: the server withheld %.0f replies by its per-source rate limit "
                      "(echomux_udp_dropped_datagrams_total{reason=\"rate_limit\"}); %llu of %llu datagrams lost",
                      r.server_rate_limited, static_cast<unsigned long long>(r.datagrams_lost),
                      static_cast<unsigned long long>(r.datagrams_sent));
    } else if (r.server_rate_limited < 0 && r.datagrams_lost > 0 && r.client_cpu_seconds < kQuiet * r.seconds &&
               r.server_cpu_seconds < kQuiet * r.seconds) {
        std::snprintf(text, sizeof text,
                      "limited by udp_rate_per_source (from the loss pattern): %llu of %llu datagrams lost while "
                      "neither side was busy (each under %.0f%% of a core); --metrics-url reads the server's count",
                      static_cast<unsigned long long>(r.datagrams_lost),
                      static_cast<unsigned long long>(r.datagrams_sent), 100 * kQuiet);
    } else {
        return;
    }
    r.limited_by = "udp_rate_per_source";
    r.notes.emplace_back(text);
    r.notes.emplace_back(kRateHint);
}

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
    if (w.kind == Workload::Kind::udp) judge_udp_limit(r);
    if (w.rate > 0 && r.valid() && r.requests_per_second() < kRateReached * w.rate) {
        std::snprintf(text, sizeof text, "rate not reached: %.0f req/s of %g asked",
                      r.requests_per_second(), w.rate);
        r.notes.emplace_back(text);
    }
}

}  // namespace echomux::bench
