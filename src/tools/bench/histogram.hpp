// SPDX-License-Identifier: BSL-1.0
// Latency histogram with log-linear buckets (HdrHistogram's idea, 1/16 relative
// precision): fixed size, no allocation while recording, cheap percentiles.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace echomux::bench {

class Histogram {
public:
    void record(std::uint64_t nanos);
    void clear() { *this = Histogram{}; }
    void merge(const Histogram& other);
    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    // Value (ns) at or below which `fraction` (0..1) of the samples fall; upper bucket bound.
    std::uint64_t percentile(double fraction) const;

    // The recorded distribution, lowest values first, empty buckets left out: for writing
    // it out whole (.hgrm). `highest` is capped at max(), as percentile() is.
    struct Bucket {
        std::uint64_t lowest, highest, count;
    };
    std::vector<Bucket> buckets() const;
    static constexpr int kSubBits = 4;
    static constexpr int kSubBuckets = 1 << kSubBits;  // 16 linear steps per power of two
    static constexpr int kBucketGroups = 64 - kSubBits + 1;

private:
    static constexpr int kBuckets = kBucketGroups << kSubBits;
    static int bucket_of(std::uint64_t v);
    static std::uint64_t upper_bound_of(int bucket);

    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace echomux::bench
