// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/source_rate_limit.hpp"
#include "echomux/backends/udp_echo.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>
#include <random>

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
