// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace echomux {

Pacing::Pacing(long long delay_ms, long long jitter_ms, std::uint64_t bandwidth, long long now_ms)
    : delay_ms_(delay_ms),
      jitter_ms_(jitter_ms),
      bandwidth_(bandwidth),
      last_release_ms_(now_ms),
      tokens_(static_cast<double>(burst())),
      tokens_ms_(now_ms) {}

// 10 ms worth: over any window of 100 ms or more the pace is within 10 % of bandwidth.
std::size_t Pacing::burst() const { return std::max<std::uint64_t>(1, bandwidth_ / 100); }

long long draw_delay_ms(long long delay_ms, long long jitter_ms, std::mt19937_64& random) {
    long long wait = delay_ms;
    if (jitter_ms > 0) wait += std::uniform_int_distribution<long long>(-jitter_ms, jitter_ms)(random);
    return std::max(0LL, wait);
}

void Pacing::queued(std::size_t n, long long now_ms, std::mt19937_64& random) {
    if (n == 0) return;
    last_release_ms_ = std::max(last_release_ms_, now_ms + draw_delay_ms(delay_ms_, jitter_ms_, random));
    queued_ += n;
    const std::size_t live = marks_.size() - head_;
    if (live > 0 && (marks_.back().release_ms == last_release_ms_ || live >= kMaxMarks)) {
        marks_.back() = {last_release_ms_, queued_};  // later, never sooner, for the bytes it had
        return;
    }
    if (head_ > 0 && head_ == marks_.size()) {
        marks_.clear();
        head_ = 0;
    }
    marks_.push_back({last_release_ms_, queued_});
}

void Pacing::queued_now(std::size_t n) {
    queued_ += n;
    if (head_ == marks_.size()) released_ = queued_;  // nothing waits before them
    else marks_.back().end = queued_;                 // they go with the bytes before them
}

std::uint64_t Pacing::released_at(long long now_ms) const {
    std::uint64_t position = released_;
    for (std::size_t i = head_; i < marks_.size() && marks_[i].release_ms <= now_ms; ++i) position = marks_[i].end;
    return position;
}

double Pacing::tokens(long long now_ms) const {
    const double refill = static_cast<double>(now_ms - tokens_ms_) * static_cast<double>(bandwidth_) / 1000.0;
    return std::min(static_cast<double>(burst()), tokens_ + refill);
}

std::size_t Pacing::sendable(long long now_ms) const {
    const std::uint64_t ready = released_at(now_ms) - sent_;
    if (bandwidth_ == 0) return static_cast<std::size_t>(ready);
    return static_cast<std::size_t>(std::min<double>(static_cast<double>(ready), std::floor(tokens(now_ms))));
}

void Pacing::sent(std::size_t n, long long now_ms) {
    if (bandwidth_ != 0) {
        tokens_ = tokens(now_ms) - static_cast<double>(n);
        tokens_ms_ = now_ms;
    }
    sent_ += n;
    while (head_ < marks_.size() && marks_[head_].release_ms <= now_ms) released_ = marks_[head_++].end;
    if (head_ > kMaxMarks && head_ * 2 > marks_.size()) {  // keep the vector as small as what waits
        marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

std::optional<long long> Pacing::next_ms(long long now_ms) const {
    if (sent_ == queued_ || sendable(now_ms) > 0) return std::nullopt;
    const std::uint64_t ready = released_at(now_ms) - sent_;
    if (ready > 0) {  // bandwidth holds them: wait for half a burst's worth (a loop that wakes
                      // late loses nothing), or for all of them
        const double need = static_cast<double>(std::min<std::uint64_t>(ready, (burst() + 1) / 2));
        const double wait = std::ceil((need - tokens(now_ms)) * 1000.0 / static_cast<double>(bandwidth_));
        return now_ms + std::max(1LL, static_cast<long long>(wait));
    }
    for (std::size_t i = head_; i < marks_.size(); ++i)
        if (marks_[i].release_ms > now_ms) return marks_[i].release_ms;
    return std::nullopt;
}

}  // namespace echomux
