// SPDX-License-Identifier: BSL-1.0
// The bytes every TCP connection of a run sends, and where each byte of what comes back must
// come from. In echo and upper mode the reply is the sent stream, byte for byte (upper-cased).
// In prefix mode every message is one line (size - 1 printable bytes and '\n') and each line
// comes back after the prefix, so reply offsets run ahead of sent offsets by one prefix a line;
// the pattern then repeats every whole number of lines, so every message ends in '\n'.
#pragma once

#include "echomux/core/echo_protocol.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace echomux::bench {

class Pattern {
public:
    static constexpr std::size_t kSize = 1 << 18;
    // `line`: the message size in prefix mode (ignored otherwise).
    Pattern(Mode mode, std::string prefix = "", std::size_t line = 0);

    // Where connection (or churn connection) `index` starts in the pattern.
    std::size_t offset_for(std::uint64_t index) const;
    // The sent bytes at stream offset `at` of a connection starting at `offset`; `n` up to kSize
    // may be read from there.
    const char* sent_at(std::size_t offset, std::uint64_t at) const { return sent_.data() + (offset + at) % cycle_; }

    // The reply a connection is owed once `sent` of its bytes went out (a line's prefix is
    // owed from its first byte, as the server sends it), and the sent bytes that `reply`
    // reply bytes answer.
    std::uint64_t reply_bytes(std::uint64_t sent) const;
    std::uint64_t answered(std::uint64_t reply) const;
    // The index of the first of `n` received bytes (at reply offset `at`) that is not what
    // the server owes, or n; `expected` gets those n bytes as they should have been.
    std::size_t mismatch(std::size_t offset, std::uint64_t at, const char* got, std::size_t n) const;
    std::string expected(std::size_t offset, std::uint64_t at, std::size_t n) const;

private:
    char expected_byte(std::size_t offset, std::uint64_t at) const;
    bool lines_ = false;
    std::string prefix_;
    std::size_t line_ = 0, cycle_ = kSize;  // cycle: the pattern's period (whole lines)
    std::vector<char> sent_, expected_;     // 2 * kSize: any span up to kSize is contiguous
};

}  // namespace echomux::bench
