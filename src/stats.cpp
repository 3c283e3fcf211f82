#include "echomux/stats.hpp"

#include <sstream>

namespace echomux {

std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field) {
    std::uint64_t sum = 0;
    for (const Stats* s : loops) sum += (s->*field).get();
    return sum;
}

std::string summarize(const std::vector<const Stats*>& loops) {
    auto sum = [&](Counter Stats::*field) { return total(loops, field); };
    std::ostringstream out;
    out << "accepted=" << sum(&Stats::accepted) << " rejected=" << sum(&Stats::rejected)
        << " closed=" << sum(&Stats::closed) << " idle_closed=" << sum(&Stats::idle_closed)
        << " drain_closed=" << sum(&Stats::drain_closed) << " resets=" << sum(&Stats::resets)
        << " bytes_received=" << sum(&Stats::bytes_received) << " bytes_sent=" << sum(&Stats::bytes_sent)
        << " backpressure_pauses=" << sum(&Stats::backpressure_pauses)
        << " fd_exhaustion=" << sum(&Stats::fd_exhaustion);
    return out.str();
}

}  // namespace echomux
