// SPDX-License-Identifier: BSL-1.0
// Faults in time, once per backend: delay (and jitter), bandwidth, the lifetime faults and
// accept_delay, each measured from the client side, with bounds the fault sets from below
// (it can never be faster than promised) and generous ones from above (a loaded machine).
#include "faulty_server.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

using namespace echomux::test;
using echomux::Fd;
using Clock = std::chrono::steady_clock;

namespace {
long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The round trips of `count` 16-byte messages on one connection, in ms.
std::vector<long long> round_trips(int port, int count) {
    Fd c = connect_to(port);
    std::vector<long long> times;
    for (int i = 0; i < count; ++i) {
        const std::string message = pattern(16);
        const auto start = Clock::now();
        send_all(c.get(), message);
        BOOST_REQUIRE(recv_exact(c.get(), message.size()) == message);
        times.push_back(ms_since(start));
    }
    return times;
}

long long median(std::vector<long long> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
}  // namespace

BOOST_AUTO_TEST_SUITE(timing_faults)

BOOST_AUTO_TEST_CASE(delay_holds_every_round_trip_at_least_the_delay) {
    Server server = faulty_server("delay = 200ms\n", {"--access-log=on"});
    const auto times = round_trips(server.listener_port("faulty"), 10);
    BOOST_TEST(*std::min_element(times.begin(), times.end()) >= 200);
    BOOST_TEST(median(times) < 260);
    BOOST_TEST(server.process().wait_for_err(" end=eof fault=delay", 5s), server.process().err());
    // The main listener beside it answers at once.
    BOOST_TEST(median(round_trips(server.port(), 8)) < 150);
}

// Jitter moves each delay within ±jitter, and a stream keeps its order byte for byte.
BOOST_AUTO_TEST_CASE(delay_jitter_varies_the_delay_and_keeps_the_bytes_in_order) {
    Server server = faulty_server("delay = 100ms\ndelay_jitter = 50ms\n");
    const auto times = round_trips(server.listener_port("faulty"), 12);
    BOOST_TEST(*std::min_element(times.begin(), times.end()) >= 50);
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(200'000);
    for (std::size_t at = 0; at < sent.size(); at += 1000) send_all(c.get(), sent.substr(at, 1000));
    ::shutdown(c.get(), SHUT_WR);
    const Received r = receive_until_end(c.get(), 20000);
    BOOST_TEST(r.end == 0);
    BOOST_TEST((r.bytes == sent));  // in order, nothing lost, nothing doubled
}

// 2 MiB paced to 1 MiB/s: no sooner than 1.99 s (a 10 ms burst is allowed), and not much later.
BOOST_AUTO_TEST_CASE(bandwidth_paces_the_echo_to_the_rate) {
    Server server = faulty_server("bandwidth = 1MiB\n");
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(2 << 20);
    const auto start = Clock::now();
    bool all_sent = false;
    std::thread sender([&] {  // the server stops reading while paced bytes fill its buffer
        all_sent = try_send_all(c.get(), sent.data(), sent.size());
        ::shutdown(c.get(), SHUT_WR);
    });
    const Received r = receive_until_end(c.get(), 10000);
    const long long took = ms_since(start);
    sender.join();
    BOOST_TEST(all_sent);
    BOOST_TEST(r.end == 0);
    BOOST_TEST((r.bytes == sent));
    BOOST_TEST(took >= 1990);
    BOOST_TEST(took < 4000);
}

BOOST_AUTO_TEST_CASE(close_after_ends_the_connection_with_a_fin_at_its_time) {
    Server server = faulty_server("close_after = 800ms\n", {"--access-log=on"});
    Fd c = connect_to(server.listener_port("faulty"));
    const auto start = Clock::now();
    send_all(c.get(), "still here");
    BOOST_TEST(recv_exact(c.get(), 10) == "still here");  // it echoes until then
    const Received r = receive_until_end(c.get(), 10000);
    const long long took = ms_since(start);
    BOOST_TEST(r.end == 0);
    BOOST_TEST(r.bytes.empty());
    BOOST_TEST(took >= 800);
    BOOST_TEST(took < 3000);
    c.reset();
    BOOST_TEST(server.process().wait_for_err(" end=fault_close fault=close_after", 5s), server.process().err());
}

BOOST_AUTO_TEST_CASE(reset_after_resets_the_connection_at_its_time) {
    Server server = faulty_server("reset_after = 500ms\n");
    Fd c = connect_to(server.listener_port("faulty"));
    const auto start = Clock::now();
    const Received r = receive_until_end(c.get(), 10000);
    BOOST_TEST(r.end == ECONNRESET);
    BOOST_TEST(ms_since(start) >= 500);
    server.stop();
    BOOST_TEST(server.counter("closed_fault_reset") == 1u);
}

// Accepted, then nothing, not even the greeting: what the client sent meanwhile is echoed after.
BOOST_AUTO_TEST_CASE(accept_delay_sends_nothing_until_its_time) {
    Server server = faulty_server("accept_delay = 600ms\ngreeting = hello\n");
    Fd c = connect_to(server.listener_port("faulty"));
    const auto start = Clock::now();
    send_all(c.get(), "early");
    BOOST_TEST(recv_exact(c.get(), 6) == "hello\n");
    BOOST_TEST(ms_since(start) >= 600);
    BOOST_TEST(recv_exact(c.get(), 5) == "early");
    // The main listener greets at once.
    Fd plain = connect_to(server.port());
    BOOST_TEST(!peer_closed_within(plain.get(), 0));
}

// A reload turns a fault on for new connections, and off again; an open one keeps its own.
BOOST_AUTO_TEST_CASE(a_reload_turns_a_delay_on_and_off) {
    const std::string conf = fault_conf("");
    Server server({"--config", conf});
    const int port = server.listener_port("faulty");
    BOOST_TEST(median(round_trips(port, 5)) < 150);
    fault_conf("delay = 300ms\n", conf);
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 10s));
    BOOST_REQUIRE(server.process().wait_for_err("reload: faulty.delay = 300ms", 1s));
    Fd delayed = connect_to(port);
    const auto on = round_trips(port, 3);
    BOOST_TEST(*std::min_element(on.begin(), on.end()) >= 300);
    fault_conf("", conf);
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 10s, 2));
    BOOST_TEST(median(round_trips(port, 5)) < 150);
    const auto start = Clock::now();
    send_all(delayed.get(), "kept");
    BOOST_TEST(recv_exact(delayed.get(), 4) == "kept");
    BOOST_TEST(ms_since(start) >= 300);  // opened under the delay: keeps it
}

BOOST_AUTO_TEST_SUITE_END()
