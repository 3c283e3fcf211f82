// SPDX-License-Identifier: BSL-1.0
#include "compare_starved.hpp"

#include "report.hpp"

#include <algorithm>

namespace echomux::bench {
namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The run's share of a core for the server and for the load generator (over its threads);
// false when the server's CPU is unknown: then nobody can say it was idle.
bool neither_busy(const Result& r, double& server, double& client) {
    if (r.seconds <= 0 || r.server_cpu_seconds < 0) return false;
    server = r.server_cpu_seconds / r.seconds;
    client = r.client_cpu_seconds / r.seconds / std::max(1, r.threads);
    return server < kIdleShare && client < kIdleShare;
}

}  // namespace

void mark_starved_runs(const std::vector<CellRuns*>& cell, bool rate_sweep) {
    struct Verdict {
        Result* run;
        double reference;
    };
    std::vector<Verdict> verdicts;
    for (CellRuns* runs : cell)
        for (Result& r : runs->runs) {
            if (!r.valid()) continue;
            double reference = 0;
            if (rate_sweep) {
                reference = runs->workload.rate;
            } else {
                std::vector<double> others;
                for (const CellRuns* other : cell)
                    for (const Result& o : other->runs)
                        if (&o != &r && o.valid()) others.push_back(o.requests_per_second());
                if (!others.empty()) reference = median(others);
            }
            if (reference > 0) verdicts.push_back({&r, reference});
        }
    for (const auto& [r, reference] : verdicts) {
        double server = 0, client = 0;
        if (r->requests_per_second() >= kStarvedShare * reference || !neither_busy(*r, server, client)) continue;
        r->invalid.push_back(std::string(kStarvedReason) + format(
            ": %.0f req/s, under %.0f %% of %s (%.0f req/s) while the server used %.0f %% and the "
            "load generator %.0f %% of a core (both under %.0f %%)",
            r->requests_per_second(), 100 * kStarvedShare,
            rate_sweep ? "the rate asked" : "the median of the cell's other runs", reference, 100 * server,
            100 * client, 100 * kIdleShare));
    }
}

int starved_runs(const CellRuns& runs) {
    int n = 0;
    for (const auto& r : runs.runs)
        for (const auto& why : r.invalid) n += why.rfind(kStarvedReason, 0) == 0;
    return n;
}

}  // namespace echomux::bench
