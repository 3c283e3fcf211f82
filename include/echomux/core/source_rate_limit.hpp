// SPDX-License-Identifier: BSL-1.0
// A token bucket per UDP source address, in a fixed table: how a UDP echo avoids being used
// to flood someone. Senders can be spoofed, so the table must not grow with the sources a
// stranger invents: it has kSlots buckets, indexed by a keyed hash (SipHash-2-4, a random
// key per table) of the source address without its port. Sources whose hashes collide share
// a bucket, so together they get one source's rate: the limit can only get stricter, never
// looser, and as the key is secret a sender cannot aim collisions at a chosen victim.
// An IPv6 source is its prefix (a /64 by default): one host or LAN is routinely given a
// whole /64, so counting its addresses one by one would give it 2^64 rates.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>

namespace echomux {

class SourceRateLimit {
public:
    static constexpr std::size_t kSlots = 4096;  // 16 B each: 64 KiB per event loop

    // `per_second` tokens a second, up to a burst of one second's worth; 0 = no limit.
    // IPv6 sources share a bucket per `ipv6_prefix` bits (1..128; 128 = per address).
    explicit SourceRateLimit(std::uint32_t per_second, unsigned ipv6_prefix = 64);

    // Takes a token from the bucket of `source` (IPv4, IPv6 or IPv4-mapped IPv6; the same
    // host in either form shares a bucket, and an IPv4-mapped source counts as its IPv4
    // address, never as part of an IPv6 prefix) at `now_ms`; false when it is empty.
    bool allow(const sockaddr_storage& source, long long now_ms);

private:
    struct Bucket {
        std::int64_t milli_tokens = -1;  // -1: never used, full
        std::int64_t last_ms = 0;
    };
    std::size_t slot_of(const sockaddr_storage& source) const;

    const std::int64_t per_second_;
    const unsigned ipv6_prefix_;
    std::uint64_t key_[2] = {};
    std::array<Bucket, kSlots> buckets_{};
};

// SipHash-2-4 of `n` bytes under a 128-bit key (Aumasson and Bernstein).
std::uint64_t siphash24(const std::uint64_t key[2], const unsigned char* data, std::size_t n);

}  // namespace echomux
