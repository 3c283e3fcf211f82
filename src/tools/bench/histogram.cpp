// SPDX-License-Identifier: BSL-1.0
#include "histogram.hpp"

namespace echomux::bench {

int Histogram::bucket_of(std::uint64_t v) {
    if (v < (1u << kSubBits)) return static_cast<int>(v);
    const int top = 63 - __builtin_clzll(v);  // position of the highest set bit, >= kSubBits
    const int shift = top - kSubBits;
    const int sub = static_cast<int>((v >> shift) & ((1u << kSubBits) - 1));
    return ((shift + 1) << kSubBits) + sub;
}

std::uint64_t Histogram::upper_bound_of(int bucket) {
    const int group = bucket >> kSubBits;
    const std::uint64_t sub = bucket & ((1u << kSubBits) - 1);
    if (group == 0) return sub;
    const int shift = group - 1;
    return (((1ull << kSubBits) + sub + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t nanos) {
    ++buckets_[bucket_of(nanos)];
    ++count_;
    if (nanos > max_) max_ = nanos;
}

void Histogram::merge(const Histogram& other) {
    for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    if (other.max_ > max_) max_ = other.max_;
}

std::uint64_t Histogram::percentile(double fraction) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(count_) + 0.5);
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank && seen > 0) return upper_bound_of(i) < max_ ? upper_bound_of(i) : max_;
    }
    return max_;
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
    std::vector<Bucket> list;
    for (int i = 0; i < kBuckets; ++i)
        if (buckets_[i] > 0) {
            const std::uint64_t lowest = i == 0 ? 0 : upper_bound_of(i - 1) + 1;
            list.push_back({lowest, upper_bound_of(i) < max_ ? upper_bound_of(i) : max_, buckets_[i]});
        }
    return list;
}

}  // namespace echomux::bench
