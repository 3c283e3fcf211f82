// SPDX-License-Identifier: BSL-1.0
#include "pattern.hpp"

#include <algorithm>
#include <cstring>
#include <random>

namespace echomux::bench {

Pattern::Pattern(Mode mode, std::string prefix, std::size_t line)
    : lines_(mode == Mode::prefix), prefix_(std::move(prefix)), sent_(2 * kSize) {
    std::mt19937_64 random(862);
    if (lines_) {
        line_ = std::max<std::size_t>(1, std::min(line, kSize));
        cycle_ = kSize / line_ * line_;
        // Printable bytes and no '\n' inside a line: the server cuts lines at '\n' only.
        for (std::size_t i = 0; i < cycle_; ++i)
            sent_[i] = i % line_ == line_ - 1 ? '\n' : static_cast<char>('!' + random() % 94);
    } else {
        for (std::size_t i = 0; i < kSize; ++i) sent_[i] = static_cast<char>(random());
    }
    std::copy(sent_.begin(), sent_.begin() + static_cast<long>(cycle_), sent_.begin() + static_cast<long>(cycle_));
    expected_ = sent_;
    if (!lines_) apply_mode(mode, expected_.data(), expected_.size());
}

std::size_t Pattern::offset_for(std::uint64_t index) const {
    if (lines_) return (index * 7919) % (cycle_ / line_) * line_;
    return (index * 7919) % kSize;
}

std::uint64_t Pattern::reply_bytes(std::uint64_t sent) const {
    if (!lines_) return sent;
    return sent + prefix_.size() * ((sent + line_ - 1) / line_);
}

std::uint64_t Pattern::answered(std::uint64_t reply) const {
    if (!lines_) return reply;
    const std::uint64_t whole = line_ + prefix_.size();
    const std::uint64_t in_line = reply % whole;
    return reply / whole * line_ + (in_line > prefix_.size() ? in_line - prefix_.size() : 0);
}

char Pattern::expected_byte(std::size_t offset, std::uint64_t at) const {
    const std::uint64_t whole = line_ + prefix_.size();
    const std::uint64_t in_line = at % whole;
    if (in_line < prefix_.size()) return prefix_[in_line];
    return expected_[(offset + at / whole * line_ + in_line - prefix_.size()) % cycle_];
}

std::size_t Pattern::mismatch(std::size_t offset, std::uint64_t at, const char* got, std::size_t n) const {
    if (!lines_) {
        const char* want = expected_.data() + (offset + at) % cycle_;
        if (std::memcmp(got, want, n) == 0) return n;
        std::size_t i = 0;
        while (got[i] == want[i]) ++i;
        return i;
    }
    for (std::size_t i = 0; i < n; ++i)
        if (got[i] != expected_byte(offset, at + i)) return i;
    return n;
}

std::string Pattern::expected(std::size_t offset, std::uint64_t at, std::size_t n) const {
    if (!lines_) return std::string(expected_.data() + (offset + at) % cycle_, n);
    std::string text(n, '\0');
    for (std::size_t i = 0; i < n; ++i) text[i] = expected_byte(offset, at + i);
    return text;
}

}  // namespace echomux::bench
