// SPDX-License-Identifier: BSL-1.0
// Which side limited a run: the server's CPU utilisation (server CPU seconds / window
// seconds) says whether a per-request figure was measured with the server saturated or
// waiting for the load generator. Per-request costs differ between the two (a busy server
// handles several connections per wake-up; an idle one pays a wake-up per request), so
// every figure is labelled with the regime it comes from.
#pragma once

#include "load.hpp"

#include <optional>

namespace echomux::bench {

enum class Regime {
    unknown,       // server CPU not measured
    server_bound,  // the server used >= 90 % of a CPU
    client_bound,  // the server had time to spare and the load generator used >= 95 % of its CPU
    neither,       // both had time to spare: latency-bound (few connections, or an open-loop rate)
};

constexpr double kServerBoundPercent = 90;
constexpr double kClientBoundPercent = 95;

Regime regime_of(const Result& r);
// The same from utilisations (CPU seconds / window seconds, in %): for a cell's medians.
Regime regime_of(std::optional<double> server_percent, std::optional<double> client_percent, int threads);
const char* regime_name(Regime regime);  // "server-bound", ...

}  // namespace echomux::bench
