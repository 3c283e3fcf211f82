// SPDX-License-Identifier: BSL-1.0
// Faults on purpose, once per backend: a listener that closes, resets or stalls after a
// byte count, for all of its connections or a share of them, beside a main listener that
// stays correct. Every figure is what the client sees.
#include "faulty_server.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <string>

using namespace echomux::test;
using echomux::Fd;


BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(close_after_bytes_sends_exactly_that_many_then_eof) {
    Server server = faulty_server("close_after_bytes = 1000\n", {"--access-log=on"});
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(3000);
    send_all(c.get(), sent);
    const Received r = receive_until_end(c.get(), 10000);
    BOOST_TEST(r.end == 0);  // a FIN, not a reset: what the client sent after is read and dropped
    BOOST_TEST(r.bytes.size() == 1000u);
    BOOST_TEST(r.bytes == sent.substr(0, 1000));
    c.reset();
    BOOST_TEST(server.process().wait_for_err(" end=fault_close fault=close_after_bytes", 5s), server.process().err());
    // The main listener beside it is untouched.
    Fd plain = connect_to(server.port());
    send_all(plain.get(), sent);
    BOOST_TEST(recv_exact(plain.get(), sent.size()) == sent);
    plain.reset();
    server.stop();
    BOOST_TEST(server.counter("closed_fault_close") == 1u);
}

BOOST_AUTO_TEST_CASE(reset_after_bytes_sends_exactly_that_many_then_a_reset) {
    Server server = faulty_server("reset_after_bytes = 1000\n");
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(1500);
    send_all(c.get(), sent);
    const Received r = receive_until_end(c.get(), 10000);
    BOOST_TEST(r.end == ECONNRESET);
    BOOST_TEST(r.bytes == sent.substr(0, 1000));
    server.stop();
    BOOST_TEST(server.counter("closed_fault_reset") == 1u);
}

// A hung peer: 1000 bytes, then nothing for 2 s while the connection stays open.
BOOST_AUTO_TEST_CASE(stall_after_bytes_goes_silent_and_keeps_the_connection_open) {
    Server server = faulty_server("stall_after_bytes = 1000\n", {"--drain-timeout=1"});  // it never reads our FIN
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(1500);
    send_all(c.get(), sent);
    BOOST_TEST(recv_exact(c.get(), 1000) == sent.substr(0, 1000));
    const Received r = receive_until_end(c.get(), 2000);
    BOOST_TEST(r.end == ETIMEDOUT);
    BOOST_TEST(r.bytes.empty());
    BOOST_TEST(!peer_closed_within(c.get(), 0));
}

// The greeting counts: with a 10-byte greeting and close_after_bytes = 12, two bytes of echo.
BOOST_AUTO_TEST_CASE(the_byte_count_includes_the_greeting) {
    Server server = faulty_server("close_after_bytes = 12\ngreeting = 123456789\n");
    Fd c = connect_to(server.listener_port("faulty"));
    send_all(c.get(), "abcdef");
    const Received r = receive_until_end(c.get(), 10000);
    BOOST_TEST(r.bytes == "123456789\nab");
    BOOST_TEST(r.end == 0);
}

// fault_probability = 0.1 over 1,000 connections: each draws at accept. With close after
// one byte, a faulted one answers "a" then EOF, the others "ab". Binomial(1000, 0.1):
// 60..140 is more than four standard deviations either side.
BOOST_AUTO_TEST_CASE(fault_probability_faults_that_share_of_connections) {
    Server server = faulty_server("close_after_bytes = 1\nfault_probability = 0.1\n");
    const int port = server.listener_port("faulty");
    int faulted = 0, whole = 0;
    for (int i = 0; i < 1000; ++i) {
        Fd c = connect_to(port);
        send_all(c.get(), "ab");
        ::shutdown(c.get(), SHUT_WR);
        const Received r = receive_until_end(c.get(), 10000);
        BOOST_REQUIRE(r.end == 0);
        if (r.bytes == "a") ++faulted;
        else if (r.bytes == "ab") ++whole;
    }
    BOOST_TEST(faulted + whole == 1000);
    BOOST_TEST(faulted >= 60);
    BOOST_TEST(faulted <= 140);
    server.stop();
    BOOST_TEST(server.counter("closed_fault_close") == static_cast<std::uint64_t>(faulted));
}

BOOST_AUTO_TEST_SUITE_END()
