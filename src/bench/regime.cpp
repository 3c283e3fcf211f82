// SPDX-License-Identifier: BSL-1.0
#include "regime.hpp"

#include "figures.hpp"

namespace echomux::bench {

Regime regime_of(const Result& r) {
    const auto server = figure("server_cpu_percent")(r);
    const auto client = figure("client_cpu_percent")(r);
    if (!server || !client) return Regime::unknown;
    // Client CPU is per load thread: with N threads the generator saturates at N x 100 %.
    if (*server >= kServerBoundPercent) return Regime::server_bound;
    if (*client >= kClientBoundPercent * (r.threads > 0 ? r.threads : 1)) return Regime::client_bound;
    return Regime::neither;
}

const char* regime_name(Regime regime) {
    switch (regime) {
        case Regime::unknown: return "unknown";
        case Regime::server_bound: return "server-bound";
        case Regime::client_bound: return "client-bound";
        case Regime::neither: return "neither saturated";
    }
    return "?";
}

}  // namespace echomux::bench
