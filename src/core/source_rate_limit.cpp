// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/source_rate_limit.hpp"

#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace echomux {
namespace {

std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
}

}  // namespace

std::uint64_t siphash24(const std::uint64_t key[2], const unsigned char* data, std::size_t n) {
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
    const std::size_t whole = n - n % 8;
    for (std::size_t i = 0; i < whole; i += 8) {
        std::uint64_t m = 0;
        for (int b = 7; b >= 0; --b) m = (m << 8) | data[i + b];  // little-endian, whatever the host
        v3 ^= m;
        sip_round(v0, v1, v2, v3);
        sip_round(v0, v1, v2, v3);
        v0 ^= m;
    }
    std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
    for (std::size_t i = whole; i < n; ++i) last |= static_cast<std::uint64_t>(data[i]) << (8 * (i - whole));
    v3 ^= last;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) sip_round(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

SourceRateLimit::SourceRateLimit(std::uint32_t per_second, unsigned ipv6_prefix)
    : per_second_(per_second), ipv6_prefix_(std::clamp(ipv6_prefix, 1u, 128u)) {
    // Without entropy (no getrandom), a clock-based key still spreads sources; it is only
    // guessable, which lets a sender aim collisions: stricter limits for a victim, no more.
    if (::getrandom(key_, sizeof key_, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof key_)) {
        key_[0] = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        key_[1] = reinterpret_cast<std::uintptr_t>(this);
    }
}

std::size_t SourceRateLimit::slot_of(const sockaddr_storage& source) const {
    // The address as IPv6, IPv4 as ::ffff:a.b.c.d: the same host whether it reached an
    // IPv4 socket or a dual-stack one.
    alignas(in6_addr) unsigned char address[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (source.ss_family == AF_INET6)
        std::memcpy(address, &reinterpret_cast<const sockaddr_in6&>(source).sin6_addr, 16);
    else
        std::memcpy(address + 12, &reinterpret_cast<const sockaddr_in&>(source).sin_addr, 4);
    // A real IPv6 source is its prefix: the bits after it cleared. IPv4, in either form, is
    // kept whole (its prefix would be ::ffff:0:0/96 and more: every IPv4 host in one bucket).
    if (!IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(address))) {
        for (unsigned bit = ipv6_prefix_; bit < 128; ++bit)
            address[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    }
    return static_cast<std::size_t>(siphash24(key_, address, sizeof address) % kSlots);
}

bool SourceRateLimit::allow(const sockaddr_storage& source, long long now_ms) {
    if (per_second_ == 0) return true;
    Bucket& b = buckets_[slot_of(source)];
    // Milli-tokens: a rate of r a second refills r milli-tokens a millisecond, exactly.
    const std::int64_t full = per_second_ * 1000;
    if (b.milli_tokens < 0) b.milli_tokens = full;
    else b.milli_tokens = std::min(full, b.milli_tokens + std::max<std::int64_t>(0, now_ms - b.last_ms) * per_second_);
    b.last_ms = now_ms;
    if (b.milli_tokens < 1000) return false;
    b.milli_tokens -= 1000;
    return true;
}

}  // namespace echomux
