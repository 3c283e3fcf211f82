// SPDX-License-Identifier: BSL-1.0
// The arithmetic follows HdrHistogram_c (hdr_histogram.c): a bucket is a power of two of
// sub-buckets, each sub-bucket range is 2^bucket wide, and the first half of every bucket
// above the first repeats the previous one, so it is not stored.
#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace echomux::bench {
namespace {

// 2 x 10^3: the largest value still counted to the unit (hdr_init).
constexpr std::int64_t kSingleUnitRange = 2000;
constexpr int kSubBucketCountMagnitude = 11;  // ceil(log2(2000))
constexpr int kSubBucketHalfCountMagnitude = kSubBucketCountMagnitude - 1;
constexpr std::int64_t kSubBucketCount = std::int64_t{1} << kSubBucketCountMagnitude;
constexpr std::int64_t kSubBucketHalfCount = kSubBucketCount / 2;
constexpr std::int64_t kSubBucketMask = kSubBucketCount - 1;  // unit magnitude 0: lowest value 1
static_assert((std::int64_t{1} << kSubBucketCountMagnitude) >= kSingleUnitRange &&
              (std::int64_t{1} << (kSubBucketCountMagnitude - 1)) < kSingleUnitRange);

int bucket_index(std::int64_t value) {
    const int pow2ceiling = 64 - __builtin_clzll(static_cast<std::uint64_t>(value | kSubBucketMask));
    return pow2ceiling - (kSubBucketHalfCountMagnitude + 1);
}

int sub_bucket_index(std::int64_t value, int bucket) { return static_cast<int>(value >> bucket); }

int counts_index(int bucket, int sub_bucket) {
    return ((bucket + 1) << kSubBucketHalfCountMagnitude) + (sub_bucket - static_cast<int>(kSubBucketHalfCount));
}

std::uint64_t equivalent_range(std::uint64_t value) {
    const auto v = static_cast<std::int64_t>(value);
    const int bucket = bucket_index(v);
    const int sub = sub_bucket_index(v, bucket);
    return std::uint64_t{1} << (sub >= kSubBucketCount ? bucket + 1 : bucket);
}

}  // namespace

int Histogram::bucket_count() {
    // hdr_calculate_bucket_config's buckets_needed_to_cover_value.
    std::int64_t smallest_untrackable = kSubBucketCount;
    int buckets = 1;
    while (smallest_untrackable <= kHighest) {
        smallest_untrackable <<= 1;
        ++buckets;
    }
    return buckets;
}

int Histogram::sub_bucket_count() { return static_cast<int>(kSubBucketCount); }

int Histogram::index_of(std::uint64_t value) {
    const auto v = static_cast<std::int64_t>(value);
    const int bucket = bucket_index(v);
    return counts_index(bucket, sub_bucket_index(v, bucket));
}

std::uint64_t Histogram::value_at_index(int index) {
    int bucket = (index >> kSubBucketHalfCountMagnitude) - 1;
    int sub = (index & static_cast<int>(kSubBucketHalfCount - 1)) + static_cast<int>(kSubBucketHalfCount);
    if (bucket < 0) {
        sub -= static_cast<int>(kSubBucketHalfCount);
        bucket = 0;
    }
    return static_cast<std::uint64_t>(sub) << bucket;
}

std::uint64_t Histogram::lowest_equivalent(std::uint64_t value) { return value_at_index(index_of(value)); }
std::uint64_t Histogram::highest_equivalent(std::uint64_t value) {
    return lowest_equivalent(value) + equivalent_range(value) - 1;
}
std::uint64_t Histogram::median_equivalent(std::uint64_t value) {
    return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

void Histogram::record(std::uint64_t nanos, std::uint64_t count) {
    if (count == 0) return;
    const std::uint64_t v = std::min<std::uint64_t>(nanos, kHighest);
    const auto i = static_cast<std::size_t>(index_of(v));
    if (i >= counts_.size()) counts_.resize(i + 1);
    counts_[i] += count;
    min_ = total_ == 0 ? v : std::min(min_, v);
    max_ = std::max(max_, v);
    total_ += count;
}

void Histogram::merge(const Histogram& other) {
    if (other.total_ == 0) return;
    if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size());
    for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
    min_ = total_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    total_ += other.total_;
}

std::uint64_t Histogram::max() const { return total_ == 0 ? 0 : highest_equivalent(max_); }
std::uint64_t Histogram::min() const { return total_ == 0 ? 0 : lowest_equivalent(min_); }

std::uint64_t Histogram::percentile(double fraction) const {
    if (total_ == 0) return 0;
    const double requested = std::clamp(fraction, 0.0, 1.0);
    // As hdr_value_at_percentile: the rank rounded to nearest, at least the first sample.
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(requested * static_cast<double>(total_) + 0.5));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return highest_equivalent(value_at_index(static_cast<int>(i)));
    }
    return max();
}

double Histogram::mean() const {
    if (total_ == 0) return 0;
    double sum = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i]) sum += static_cast<double>(median_equivalent(value_at_index(static_cast<int>(i)))) * counts_[i];
    return sum / static_cast<double>(total_);
}

double Histogram::stddev() const {
    if (total_ == 0) return 0;
    const double m = mean();
    double sum = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i]) {
            const double d = static_cast<double>(median_equivalent(value_at_index(static_cast<int>(i)))) - m;
            sum += d * d * static_cast<double>(counts_[i]);
        }
    return std::sqrt(sum / static_cast<double>(total_));
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
    std::vector<Bucket> list;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i] > 0) {
            const std::uint64_t low = value_at_index(static_cast<int>(i));
            list.push_back({low, highest_equivalent(low), counts_[i]});
        }
    return list;
}

}  // namespace echomux::bench
