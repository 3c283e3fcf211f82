// SPDX-License-Identifier: BSL-1.0
#include "hgrm.hpp"

#include "report.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace echomux::bench {
namespace {

constexpr double kNanosPerUnit = 1e3;  // values printed in microseconds
constexpr int kTicksPerHalfDistance = 5;

// HdrHistogram's PercentileIterator: the next percentile level is a fixed number of
// ticks per halving of the distance to 100 %, so the tail gets ever finer rows.
double next_level(double level) {
    const auto halvings = static_cast<long long>(std::log2(100.0 / (100.0 - level))) + 1;
    return level + 100.0 / (kTicksPerHalfDistance * std::pow(2.0, static_cast<double>(halvings)));
}

}  // namespace

std::string hgrm(const Histogram& h) {
    std::string out = format("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    const auto buckets = h.buckets();
    const std::uint64_t total = h.count();
    std::uint64_t seen = 0;
    double level = 0;
    for (const auto& b : buckets) {
        seen += b.count;
        // Bounded: each row raises the level, and the level is reached within
        // ~10 x log2(100 x total) rows.
        while (level < 100 && 100.0 * seen / total >= level) {
            out += format("%12.3f %2.12f %10llu %14.2f\n", b.highest / kNanosPerUnit, level / 100,
                          static_cast<unsigned long long>(seen), 1 / (1 - level / 100));
            if (seen == total) break;
            level = next_level(level);
        }
    }
    // The last row is at 100 %, where 1/(1-Percentile) has no value.
    if (total > 0)
        out += format("%12.3f %2.12f %10llu\n", buckets.back().highest / kNanosPerUnit, 1.0,
                      static_cast<unsigned long long>(total));
    out += format("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.mean() / kNanosPerUnit, h.stddev() / kNanosPerUnit);
    out += format("#[Max     = %12.3f, Total count    = %12llu]\n", h.max() / kNanosPerUnit,
                  static_cast<unsigned long long>(total));
    out += format("#[Buckets = %12d, SubBuckets     = %12d]\n", Histogram::bucket_count(), Histogram::sub_bucket_count());
    return out;
}

void write_hgrm(const std::string& path, const Histogram& h) {
    std::ofstream file(path);
    file << hgrm(h);
    if (!file.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace echomux::bench
