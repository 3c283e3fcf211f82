// SIGTERM/SIGINT: stop accepting, let open connections finish for up to drain_timeout,
// exit 0. A second signal exits at once.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

using namespace echomux::test;

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(sigterm_drains_open_connections_and_exits_zero) {
    Server server({"--drain-timeout=20"});
    auto c = connect_to(server.port());
    send_all(c.get(), "ready");  // accepted, not just queued: a drain resets the backlog
    BOOST_REQUIRE(recv_exact(c.get(), 5) == "ready");
    const std::size_t size = 1u << 20;
    const auto payload = random_bytes(size, 3);
    send_all(c.get(), payload.data(), payload.size());  // nothing read yet
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait_for_err("draining", 5s));
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(!try_connect(server.port()));  // no longer accepting
    BOOST_TEST(!server.process().wait(0ms));  // still serving us
    BOOST_REQUIRE(::shutdown(c.get(), SHUT_WR) == 0);
    bool clean_eof = false;
    const std::string echoed = recv_until_eof(c.get(), &clean_eof);
    BOOST_TEST(clean_eof);
    BOOST_REQUIRE_EQUAL(echoed.size(), size);
    BOOST_TEST(std::memcmp(echoed.data(), payload.data(), size) == 0);
    const auto status = server.process().wait(5s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
}

BOOST_AUTO_TEST_CASE(sigint_with_no_connections_exits_zero_promptly) {
    Server server;
    server.process().signal(SIGINT);
    const auto status = server.process().wait(3s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
}

BOOST_AUTO_TEST_CASE(drain_timeout_closes_stragglers_and_exits_zero) {
    Server server({"--drain-timeout=500ms"});
    auto idle = connect_to(server.port());

    send_all(idle.get(), "hi");
    BOOST_TEST(recv_exact(idle.get(), 2) == "hi");
    const auto start = std::chrono::steady_clock::now();
    server.process().signal(SIGTERM);
    const auto status = server.process().wait(5s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 450ms));
    BOOST_TEST(peer_closed_within(idle.get(), 1000));
    BOOST_TEST(server.counter("drain_closed") == 1u);
}

BOOST_AUTO_TEST_CASE(second_signal_exits_at_once) {
    Server server({"--drain-timeout=60"});
    auto idle = connect_to(server.port());
    send_all(idle.get(), "ready");  // accepted, so the drain has something to wait for
    BOOST_REQUIRE(recv_exact(idle.get(), 5) == "ready");
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait_for_err("draining", 5s));
    const auto start = std::chrono::steady_clock::now();
    server.process().signal(SIGTERM);
    const auto status = server.process().wait(5s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 128 + SIGTERM);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
}

BOOST_AUTO_TEST_SUITE_END()
