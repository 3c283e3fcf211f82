#include "echomux/stats.hpp"

#include <sstream>

namespace echomux {

const std::vector<CounterInfo> kCounters = {
#define ECHOMUX_COUNTER_INFO(field, metric, help) {#field, metric, help, &Stats::field},
    ECHOMUX_COUNTERS(ECHOMUX_COUNTER_INFO)
#undef ECHOMUX_COUNTER_INFO
};

std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field) {
    std::uint64_t sum = 0;
    for (const Stats* s : loops) sum += (s->*field).get();
    return sum;
}

std::string summarize(const std::vector<const Stats*>& loops) {
    std::ostringstream out;
    const char* separator = "";
    for (const CounterInfo& c : kCounters) {
        out << separator << c.field << "=" << total(loops, c.member);
        separator = " ";
    }
    return out.str();
}

}  // namespace echomux
