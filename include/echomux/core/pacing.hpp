// SPDX-License-Identifier: BSL-1.0
// The timing faults of one connection (issue 23): `delay` (and its jitter) holds each echoed
// byte until its time has come, `bandwidth` paces what goes out. Pure arithmetic on the
// times it is given, no clock and no I/O: the Connection asks how much of its pending bytes
// may go now and when to ask again, and the Service's one timer list wakes it then.
// Bytes keep their order (a release time never goes back), and the bound on memory stays
// the Connection's: pending bytes are bounded by max_buffer_bytes, and these marks by kMaxMarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace echomux {

// One byte's (or datagram's) wait: delay ± a uniform draw within jitter, never below 0.
long long draw_delay_ms(long long delay_ms, long long jitter_ms, std::mt19937_64& random);

class Pacing {
public:
    // delay and jitter in ms (every byte waits delay ± jitter, never less than 0), bandwidth
    // in bytes per second (0: unpaced).
    Pacing(long long delay_ms, long long jitter_ms, std::uint64_t bandwidth, long long now_ms);

    // `n` echoed bytes joined the pending ones at `now`: they wait for the delay.
    void queued(std::size_t n, long long now_ms, std::mt19937_64& random);
    // `n` bytes that do not wait for the delay (the greeting); bandwidth still paces them.
    void queued_now(std::size_t n);
    // How many of the pending bytes, from the front, may be sent at `now`.
    std::size_t sendable(long long now_ms) const;
    // `n` of them were sent at `now`.
    void sent(std::size_t n, long long now_ms);
    // While bytes wait: when sendable() next grows, no earlier than `now`; nullopt when
    // nothing waits, or something may go now.
    std::optional<long long> next_ms(long long now_ms) const;

    // Byte-by-byte arrivals make a mark each: past this many, a new one joins the last (its
    // bytes wait a little longer, never less), so the marks of a connection stay within a few KiB.
    static constexpr std::size_t kMaxMarks = 256;

private:
    struct Mark {
        long long release_ms;   // when the bytes up to `end` may go
        std::uint64_t end;      // a position in the stream of bytes ever queued
    };
    std::uint64_t released_at(long long now_ms) const;  // stream position that may go at `now`
    double tokens(long long now_ms) const;           // bandwidth's bucket at `now`
    std::size_t burst() const;                       // what the bucket holds when full

    long long delay_ms_, jitter_ms_;
    std::uint64_t bandwidth_;
    std::uint64_t queued_ = 0;  // bytes ever queued
    std::uint64_t sent_ = 0;    // of which sent
    std::uint64_t released_ = 0;  // bytes up to here may go: the marks before marks_[head_] are past
    std::vector<Mark> marks_;   // in release order, from marks_[head_]
    std::size_t head_ = 0;
    long long last_release_ms_;  // release times never go back: bytes keep their order
    double tokens_;        // bandwidth: bytes that may go, at tokens_ms_
    long long tokens_ms_;
};

}  // namespace echomux
