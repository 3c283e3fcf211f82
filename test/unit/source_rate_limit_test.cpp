// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/source_rate_limit.hpp"
#include "echomux/backends/udp_echo.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace echomux;

namespace {
sockaddr_storage v4(std::uint32_t address, std::uint16_t port = 5000) {
    sockaddr_storage s{};
    auto& a = reinterpret_cast<sockaddr_in&>(s);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(address);
    a.sin_port = htons(port);
    return s;
}

sockaddr_storage v6(const char* text, std::uint16_t port = 5000) {
    sockaddr_storage s{};
    auto& a = reinterpret_cast<sockaddr_in6&>(s);
    a.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, text, &a.sin6_addr);
    a.sin6_port = htons(port);
    return s;
}

int allowed(SourceRateLimit& limit, const sockaddr_storage& source, int tries, long long now_ms) {
    int n = 0;
    for (int i = 0; i < tries; ++i) n += limit.allow(source, now_ms);
    return n;
}

// `base` with `bits` set from `value`'s low bits, `width` of them ending at bit `end` (bit 0
// is the address's first): addresses that differ exactly where a test wants them to.
sockaddr_storage v6_varied(const char* base, int end, int width, std::uint64_t value) {
    sockaddr_storage s = v6(base);
    auto& bytes = reinterpret_cast<sockaddr_in6&>(s).sin6_addr.s6_addr;
    for (int i = 0; i < width; ++i) {
        const int bit = end - 1 - i;
        const auto mask = static_cast<unsigned char>(0x80u >> (bit % 8));
        if (i < 64 && ((value >> i) & 1)) bytes[bit / 8] |= mask;  // bits past value's 64 are 0
        else bytes[bit / 8] &= static_cast<unsigned char>(~mask);
    }
    return s;
}

// Replies the sources get together when each asks for twice the rate, all at one instant.
template <class Sources>
int allowed_together(SourceRateLimit& limit, const Sources& sources, int rate) {
    int n = 0;
    for (const auto& source : sources) n += allowed(limit, source, 2 * rate, 0);
    return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(source_rate_limit)

// The reference vector of the SipHash paper (appendix A): key 00..0f, message 00..0e.
BOOST_AUTO_TEST_CASE(siphash24_matches_the_reference_vector) {
    const std::uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    unsigned char message[15];
    for (int i = 0; i < 15; ++i) message[i] = static_cast<unsigned char>(i);
    BOOST_TEST(siphash24(key, message, sizeof message) == 0xa129ca6149be45e5ULL);
}

BOOST_AUTO_TEST_CASE(a_source_gets_a_burst_of_one_second_then_the_rate) {
    auto limit = std::make_unique<SourceRateLimit>(10);
    const auto source = v4(0x7f000001);
    BOOST_TEST(allowed(*limit, source, 100, 1000) == 10);
    BOOST_TEST(allowed(*limit, source, 10, 1099) == 0);  // 0.99 of a token
    BOOST_TEST(allowed(*limit, source, 10, 1100) == 1);  // 100 ms: one token
    BOOST_TEST(allowed(*limit, source, 100, 60000) == 10);  // a long pause refills only the burst
}

// Ports do not matter (a reflection victim is a host), nor whether IPv4 arrived as such or
// IPv4-mapped on a dual-stack socket.
BOOST_AUTO_TEST_CASE(a_source_is_its_address_in_any_form_whatever_the_port) {
    auto limit = std::make_unique<SourceRateLimit>(5);
    BOOST_TEST(allowed(*limit, v4(0x0a000001, 1111), 3, 0) == 3);
    BOOST_TEST(allowed(*limit, v4(0x0a000001, 2222), 3, 0) == 2);
    BOOST_TEST(allowed(*limit, v6("::ffff:10.0.0.1", 3333), 3, 0) == 0);
}

// One host (or one LAN) is routinely given a whole /64: its addresses are one source, or a
// sender that rotates through them gets 2^64 rates. Issue 26: 50 addresses got 47 times it.
BOOST_AUTO_TEST_CASE(fifty_addresses_of_one_slash_64_share_one_rate) {
    constexpr int kRate = 10;
    auto limit = std::make_unique<SourceRateLimit>(kRate);
    std::mt19937_64 random(26);
    std::vector<sockaddr_storage> one_64;
    for (int i = 0; i < 50; ++i) one_64.push_back(v6_varied("2001:db8:0:1::", 128, 64, random()));
    BOOST_TEST(allowed_together(*limit, one_64, kRate) == kRate);
    BOOST_TEST(allowed(*limit, v6("2001:db8:0:2::1"), 2 * kRate, 0) == kRate);  // the next /64 is another source
}

// The prefix is configurable, to the bit: sources that differ only after it share a bucket;
// eight that differ inside it get (all but a one-in-4096^7 collision) more than one rate.
BOOST_AUTO_TEST_CASE(the_ipv6_prefix_length_decides_what_one_source_is) {
    constexpr int kRate = 10;
    for (const int prefix : {4, 48, 57, 64, 100, 127}) {
        auto limit = std::make_unique<SourceRateLimit>(kRate, prefix);
        std::vector<sockaddr_storage> after, inside;
        for (std::uint64_t i = 0; i < 8; ++i) {
            after.push_back(v6_varied("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 128, 128 - prefix, i * 0x9e3779b97f4a7c15ULL));
            inside.push_back(v6_varied("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", prefix, std::min(prefix, 3), i));
        }
        BOOST_TEST(allowed_together(*limit, after, kRate) == kRate, "/" << prefix);
        BOOST_TEST(allowed_together(*limit, inside, kRate) > kRate, "/" << prefix);
    }
    auto per_address = std::make_unique<SourceRateLimit>(kRate, 128);
    std::vector<sockaddr_storage> one_64;
    for (std::uint64_t i = 0; i < 8; ++i) one_64.push_back(v6_varied("2001:db8::", 128, 3, i));
    BOOST_TEST(allowed_together(*per_address, one_64, kRate) > kRate);
}

// IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d, all in one IPv6 /64 (and
// /96): they are still one source per IPv4 address, as they are on an IPv4 socket.
BOOST_AUTO_TEST_CASE(ipv4_mapped_sources_count_as_their_ipv4_address_not_a_prefix) {
    constexpr int kRate = 10;
    for (const int prefix : {1, 64, 96, 128}) {
        auto limit = std::make_unique<SourceRateLimit>(kRate, prefix);
        std::vector<sockaddr_storage> mapped;
        for (std::uint32_t i = 1; i <= 8; ++i) mapped.push_back(v6(("::ffff:10.0.0." + std::to_string(i)).c_str()));
        BOOST_TEST(allowed_together(*limit, mapped, kRate) > 4 * kRate, "/" << prefix);
        BOOST_TEST(allowed(*limit, v4(0x0a000001), kRate, 0) == 0, "/" << prefix);  // 10.0.0.1 spent it as ::ffff:10.0.0.1
    }
}

BOOST_AUTO_TEST_CASE(zero_means_no_limit) {
    auto limit = std::make_unique<SourceRateLimit>(0);
    BOOST_TEST(allowed(*limit, v6("2001:db8::1"), 100000, 0) == 100000);
}

// A spoofer inventing sources cannot grow the table (it is fixed) nor, however many it
// invents, get more than the rate through for one victim: every source maps to one slot.
BOOST_AUTO_TEST_CASE(invented_sources_leave_each_victim_at_most_its_rate) {
    auto limit = std::make_unique<SourceRateLimit>(3);
    std::mt19937 random(7);
    for (int i = 0; i < 100000; ++i) limit->allow(v4(random()), 0);
    const auto victim = v4(0xc0000201);
    BOOST_TEST(allowed(*limit, victim, 10, 0) <= 3);
    BOOST_TEST(sizeof(SourceRateLimit) < 70 * 1024);
}

BOOST_AUTO_TEST_CASE(reflection_prone_source_ports_are_blocked) {
    for (int port : {0, 7, 13, 17, 19, 37}) BOOST_TEST(UdpEcho::blocked_source_port(static_cast<std::uint16_t>(port)));
    for (int port : {1, 53, 123, 1024, 40000, 65535})
        BOOST_TEST(!UdpEcho::blocked_source_port(static_cast<std::uint16_t>(port)));
}

BOOST_AUTO_TEST_SUITE_END()
