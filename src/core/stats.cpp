// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/stats.hpp"

namespace echomux {

const std::vector<CounterInfo> kCounters = {
#define ECHOMUX_COUNTER_INFO(field, metric, labels, help) {#field, metric, labels, help, &Stats::field},
    ECHOMUX_COUNTERS(ECHOMUX_COUNTER_INFO)
#undef ECHOMUX_COUNTER_INFO
};

Histogram::Histogram(std::initializer_list<std::uint64_t> bounds) {
    for (std::uint64_t bound : bounds)
        if (bound_count_ < kMaxBounds) bounds_[bound_count_++] = bound;
}

void Histogram::observe(std::uint64_t value) {
    std::size_t i = 0;
    while (i < bound_count_ && value > bounds_[i]) ++i;
    buckets_[i].add();
    count_.add();
    sum_.add(value);
}

std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field) {
    std::uint64_t sum = 0;
    for (const Stats* s : loops) sum += (s->*field).get();
    return sum;
}

log::Fields summary_fields(const std::vector<const Stats*>& loops) {
    log::Fields fields;
    for (const CounterInfo& c : kCounters) fields.emplace_back(c.field, total(loops, c.member));
    // How evenly SO_REUSEPORT spread the connections (and the datagrams).
    auto per_loop = [&](const char* name, Counter Stats::*field) {
        std::string values;
        for (std::size_t i = 0; i < loops.size(); ++i) values += (i ? "," : "") + std::to_string((loops[i]->*field).get());
        fields.emplace_back(name, values);
    };
    if (loops.size() > 1) per_loop("accepted_per_loop", &Stats::accepted);
    if (loops.size() > 1 && total(loops, &Stats::udp_received) > 0) per_loop("udp_received_per_loop", &Stats::udp_received);
    return fields;
}

}  // namespace echomux
