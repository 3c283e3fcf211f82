#include "echomux/stats.hpp"

#include <sstream>

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

std::string summarize(const std::vector<const Stats*>& loops) {
    std::ostringstream out;
    const char* separator = "";
    for (const CounterInfo& c : kCounters) {
        out << separator << c.field << "=" << total(loops, c.member);
        separator = " ";
    }
    if (loops.size() > 1) {  // how evenly SO_REUSEPORT spread the connections
        out << " accepted_per_loop=";
        for (std::size_t i = 0; i < loops.size(); ++i) out << (i ? "," : "") << loops[i]->accepted.get();
    }
    if (loops.size() > 1 && total(loops, &Stats::udp_received) > 0) {  // and the datagrams
        out << " udp_received_per_loop=";
        for (std::size_t i = 0; i < loops.size(); ++i) out << (i ? "," : "") << loops[i]->udp_received.get();
    }
    return out.str();
}

}  // namespace echomux
