// SPDX-License-Identifier: BSL-1.0
#include "regime.hpp"

#include "figures.hpp"

namespace echomux::bench {

Regime regime_of(std::optional<double> server, std::optional<double> client, int threads) {
    if (!server || !client) return Regime::unknown;
    if (*server >= kServerBoundPercent) return Regime::server_bound;
    // Client CPU is summed over the load threads: N threads saturate at N x 100 %.
    if (*client >= kClientBoundPercent * (threads > 0 ? threads : 1)) return Regime::client_bound;
    return Regime::neither;
}

Regime regime_of(const Result& r) {
    return regime_of(figure("server_cpu_percent")(r), figure("client_cpu_percent")(r), r.threads);
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
