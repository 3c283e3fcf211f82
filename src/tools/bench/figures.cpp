// SPDX-License-Identifier: BSL-1.0
#include "figures.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace echomux::bench {
namespace {

using Maybe = std::optional<double>;

Maybe per_second(double count, const Result& r) { return r.seconds > 0 ? Maybe(count / r.seconds) : std::nullopt; }

Maybe microseconds(const Histogram& h, double fraction) {
    if (h.count() == 0) return std::nullopt;
    return (fraction >= 1 ? h.max() : h.percentile(fraction)) / 1e3;
}

}  // namespace

const std::vector<Figure>& figures() {
    static const std::vector<Figure> table = {
        {"requests_per_second", "req/s", [](const Result& r) { return per_second(r.requests, r); }},
        {"megabytes_per_second", "MB/s echoed", [](const Result& r) { return per_second(r.bytes / 1e6, r); }},
        {"latency_p50_us", "p50 us", [](const Result& r) { return microseconds(r.latency, 0.5); }},
        {"latency_p90_us", "p90 us", [](const Result& r) { return microseconds(r.latency, 0.9); }},
        {"latency_p99_us", "p99 us", [](const Result& r) { return microseconds(r.latency, 0.99); }},
        {"latency_p99_9_us", "p99.9 us", [](const Result& r) { return microseconds(r.latency, 0.999); }},
        {"latency_max_us", "max us", [](const Result& r) { return microseconds(r.latency, 1); }},
        {"server_us_per_request", "server CPU us/req",
         [](const Result& r) {
             return r.server_cpu_seconds >= 0 && r.requests > 0 ? Maybe(r.server_cpu_seconds * 1e6 / r.requests)
                                                                 : std::nullopt;
         }},
        {"server_cpu_percent", "server CPU %",
         [](const Result& r) {
             return r.server_cpu_seconds >= 0 ? per_second(100 * r.server_cpu_seconds, r) : std::nullopt;
         }},
        {"client_cpu_percent", "client CPU %", [](const Result& r) { return per_second(100 * r.client_cpu_seconds, r); }},
        {"server_rss_mib", "server RSS MiB",
         [](const Result& r) { return r.server_rss_kib >= 0 ? Maybe(r.server_rss_kib / 1024.0) : std::nullopt; }},
        {"connects_per_second", "connects/s",
         [](const Result& r) { return r.connects > 0 ? per_second(r.connects, r) : std::nullopt; }},
        {"connect_p50_us", "connect p50 us", [](const Result& r) { return microseconds(r.connect_latency, 0.5); }},
        {"connect_p99_us", "connect p99 us", [](const Result& r) { return microseconds(r.connect_latency, 0.99); }},
        {"loss_percent", "loss %",
         [](const Result& r) { return r.datagrams_sent > 0 ? Maybe(r.loss_percent()) : std::nullopt; }},
    };
    return table;
}

const Figure& figure(std::string_view key) {
    for (const auto& f : figures())
        if (key == f.key) return f;
    throw std::logic_error("no figure named " + std::string(key));
}

std::optional<Spread> spread(const Figure& f, const std::vector<Result>& runs) {
    std::vector<double> values;
    for (const auto& r : runs)
        if (const auto v = f(r)) values.push_back(*v);
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    // The middle value, or the mean of the two middle ones: a median that no run had is
    // still the usual definition, and it does not favour the slower of two runs.
    const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return Spread{median, values.front(), values.back(), static_cast<int>(n)};
}

}  // namespace echomux::bench
