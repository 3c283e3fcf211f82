// SPDX-License-Identifier: BSL-1.0
// Latency histogram with HdrHistogram's layout and semantics (HdrHistogram_c's hdr_histogram.c,
// which Debian does not package): values in nanoseconds from 1 ns to one hour at 3
// significant digits (each value lands in a bucket no wider than 1/1000 of it), percentiles
// as hdr_value_at_percentile gives them (the highest value equivalent to the sample at that
// rank), so a .hgrm or .hlog from here reads like one from wrk2 or HdrHistogram's tools.
// The counts grow to the largest value recorded: an idle histogram is small.
#pragma once

#include <cstdint>
#include <vector>

namespace echomux::bench {

class Histogram {
public:
    static constexpr std::int64_t kLowest = 1;
    static constexpr std::int64_t kHighest = 3'600'000'000'000;  // one hour in ns; above: counted as this
    static constexpr int kSignificantFigures = 3;

    void record(std::uint64_t nanos, std::uint64_t count = 1);
    void clear() { *this = Histogram{}; }
    void merge(const Histogram& other);
    std::uint64_t count() const { return total_; }
    std::uint64_t max() const;  // highest equivalent value of the largest sample, as HdrHistogram's max
    std::uint64_t min() const;
    // hdr_value_at_percentile with `fraction` (0..1): 0 when empty.
    std::uint64_t percentile(double fraction) const;
    double mean() const;    // of each sample's bucket middle (hdr_mean)
    double stddev() const;  // likewise (hdr_stddev)

    // The recorded distribution, lowest values first, empty buckets left out.
    struct Bucket {
        std::uint64_t lowest, highest, count;
    };
    std::vector<Bucket> buckets() const;

    // The layout, for the encodings (hlog.cpp): counts by index, and what an index stands for.
    static int bucket_count();      // buckets to reach kHighest ("Buckets" in a .hgrm footer)
    static int sub_bucket_count();  // 2048 at 3 significant digits
    static int index_of(std::uint64_t value);
    static std::uint64_t value_at_index(int index);
    const std::vector<std::uint64_t>& counts() const { return counts_; }

    static std::uint64_t lowest_equivalent(std::uint64_t value);
    static std::uint64_t highest_equivalent(std::uint64_t value);
    static std::uint64_t median_equivalent(std::uint64_t value);

private:
    std::vector<std::uint64_t> counts_;  // by index; only as long as the largest index recorded
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0, min_ = 0;    // raw samples (0 when empty)
};

}  // namespace echomux::bench
