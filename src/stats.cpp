#include "echomux/stats.hpp"

namespace echomux {

const std::vector<CounterInfo> kCounters = {
#define ECHOMUX_COUNTER_INFO(field, metric, labels, help) {#field, metric, labels, help, &Stats::field},
    ECHOMUX_COUNTERS(ECHOMUX_COUNTER_INFO)
#undef ECHOMUX_COUNTER_INFO
};

std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field) {
    std::uint64_t sum = 0;
    for (const Stats* s : loops) sum += (s->*field).get();
    return sum;
}

log::Fields summary_fields(const std::vector<const Stats*>& loops) {
    log::Fields fields;
    for (const CounterInfo& c : kCounters) fields.emplace_back(c.field, total(loops, c.member));
    if (loops.size() > 1) {  // how evenly SO_REUSEPORT spread the connections
        std::string per_loop;
        for (std::size_t i = 0; i < loops.size(); ++i) per_loop += (i ? "," : "") + std::to_string(loops[i]->accepted.get());
        fields.emplace_back("accepted_per_loop", per_loop);
    }
    return fields;
}

}  // namespace echomux
