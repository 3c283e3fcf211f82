// SPDX-License-Identifier: BSL-1.0
// What comes back: exact bytes, in order, for every kind of client.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <cstring>
#include <regex>
#include <thread>

using namespace echomux::test;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(echo)

// The classic select() tutorial client: two sockets, a message in three parts on each.
BOOST_AUTO_TEST_CASE(two_socket_client_round_trip) {
    Server server;
    auto a = connect_to(server.port());
    auto b = connect_to(server.port());
    for (const std::string part : {"This is the message. ", "It will be sent ", "in parts."}) {
        send_all(a.get(), part);
        send_all(b.get(), part);
        BOOST_TEST(recv_exact(a.get(), part.size()) == part);
        BOOST_TEST(recv_exact(b.get(), part.size()) == part);
    }
    a.reset();
    b.reset();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("accepted") == 2u);
    BOOST_TEST(server.counter("bytes_received") == 2u * 46);
    BOOST_TEST(server.counter("bytes_sent") == 2u * 46);
}

BOOST_AUTO_TEST_CASE(all_256_byte_values_come_back_unchanged) {
    Server server;
    auto c = connect_to(server.port());
    std::string all;
    for (int round = 0; round < 4; ++round)
        for (int v = 0; v < 256; ++v) all += static_cast<char>(v);
    send_all(c.get(), all);
    BOOST_TEST(recv_exact(c.get(), all.size()) == all);
}

BOOST_AUTO_TEST_CASE(upper_mode_upper_cases_ascii_letters_only) {
    Server server({"--mode=upper"});
    auto c = connect_to(server.port());
    const std::string sent = "Hello, World! z{a`@ \xc3\xa4\xff\x00q\n"s;
    const std::string expected = "HELLO, WORLD! Z{A`@ \xc3\xa4\xff\x00Q\n"s;
    send_all(c.get(), sent);
    BOOST_TEST(recv_exact(c.get(), sent.size()) == expected);
}

// Urgent data is part of the byte stream too (SO_OOBINLINE), so it is echoed in place.
BOOST_AUTO_TEST_CASE(urgent_byte_is_echoed_in_order) {
    Server server;
    auto c = connect_to(server.port());
    send_all(c.get(), "ab");
    BOOST_REQUIRE(::send(c.get(), "c", 1, MSG_OOB) == 1);
    send_all(c.get(), "d");
    BOOST_TEST(recv_exact(c.get(), 4) == "abcd");
}

BOOST_AUTO_TEST_CASE(dual_stack_listener_serves_ipv4_and_ipv6) {
    Server server({"--listen=::"});
    for (const char* host : {"::1", "127.0.0.1"}) {
        auto c = connect_to(server.port(), host);
        send_all(c.get(), std::string("via ") + host);
        BOOST_TEST(recv_exact(c.get(), 4 + std::strlen(host)) == std::string("via ") + host);
    }
}

// 64 MiB of random bytes written and read concurrently: every byte back, in order.
BOOST_AUTO_TEST_CASE(random_64_mib_round_trip_has_equal_sha256) {
    Server server;
    auto c = connect_to(server.port());
    const std::size_t size = 64u << 20;
    const auto payload = random_bytes(size, 862);
    bool sent = false;
    std::thread writer([&] { sent = try_send_all(c.get(), payload.data(), payload.size()); });
    const std::string echoed = recv_exact(c.get(), size);
    writer.join();
    BOOST_TEST(sent);
    BOOST_REQUIRE_EQUAL(echoed.size(), size);
    BOOST_TEST(sha256_hex(echoed.data(), echoed.size()) == sha256_hex(payload.data(), payload.size()));
}

// Each of the three loops has its own listener, and the kernel spreads connections over
// them: every loop takes some (30 connections all landing on one of three: p < 1e-5).
BOOST_AUTO_TEST_CASE(threads_share_the_port_and_all_serve) {
    Server server({"--threads=3"});
    for (int i = 0; i < 30; ++i) {
        auto c = connect_to(server.port());
        const std::string msg = "message " + std::to_string(i);
        send_all(c.get(), msg);
        BOOST_TEST(recv_exact(c.get(), msg.size()) == msg);
    }
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("accepted") == 30u);
    std::smatch m;
    const std::string log = server.process().err();
    BOOST_REQUIRE(std::regex_search(log, m, std::regex("accepted_per_loop=([0-9]+),([0-9]+),([0-9]+)\\n")));
    int sum = 0;
    for (int loop = 1; loop <= 3; ++loop) {
        BOOST_CHECK_MESSAGE(std::stoi(m[loop]) > 0, "loop " << loop - 1 << " accepted nothing");
        sum += std::stoi(m[loop]);
    }
    BOOST_TEST(sum == 30);
}

BOOST_AUTO_TEST_SUITE_END()
