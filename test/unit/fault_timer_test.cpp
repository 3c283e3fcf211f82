// SPDX-License-Identifier: BSL-1.0
// The faults' one timer list (Service::set_timer) driving connections on a clock the test
// moves by hand: delay, bandwidth, the lifetime faults and accept_delay, each at its exact
// millisecond; a reload that changes them leaves open connections as they started.
#include "echomux/core/connection.hpp"
#include "echomux/core/service.hpp"
#include "support/completion_transport.hpp"
#include "support/manual_clock.hpp"
#include "support/service_loop.hpp"
#include "echomux/util/fd.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <memory>
#include <vector>

using namespace echomux;
using echomux::test::CompletionConnection;
using echomux::test::ManualClock;

namespace {
struct AdoptingHooks final : LoopHooks {
    void adopt(int fd) override { adopted.emplace_back(fd); }
    void watch_listener(bool) override {}
    void close_listener() override {}
    int listener_fd() override { return -1; }
    std::vector<Fd> adopted;
};

// The loop also runs what the timers asked for (call_soon), as every backend does.
struct Loop : echomux::test::ServiceLoop<AdoptingHooks> {
    using ServiceLoop::ServiceLoop;
    void advance(long long ms) {
        ServiceLoop::advance(ms);
        for (auto& c : connections) {
            if (!c->transport.called_soon || c->connection.closed()) continue;
            c->transport.called_soon = false;
            if (c->connection.resume() == Connection::Next::close) c->connection.close();
        }
    }
};
using echomux::test::with;
}  // namespace

BOOST_AUTO_TEST_SUITE(fault_timers)

BOOST_AUTO_TEST_CASE(a_delayed_echo_leaves_at_exactly_the_delay_and_the_fin_after_it) {
    Loop loop(with([](Config& c) { c.delay = 0.2; }));
    auto& c = loop.connect();
    c.receive("abc");
    BOOST_TEST(c.transport.wire == "");
    BOOST_TEST(!c.connection.interest().write);  // nothing for the socket: the timer has it
    BOOST_TEST(*loop.service.next_deadline() == loop.clock.now_ms() + 201);  // read within this ms
    c.connection.peer_closed();
    loop.advance(200);
    BOOST_TEST(c.transport.wire == "");
    BOOST_TEST(!c.transport.fin);
    loop.advance(1);
    BOOST_TEST(c.transport.wire == "abc");
    c.complete_send();
    BOOST_TEST(c.transport.fin);  // half-close: everything received went back, then ours
}

BOOST_AUTO_TEST_CASE(delayed_bytes_fill_the_buffer_and_reading_pauses_until_they_go) {
    Loop loop(with([](Config& c) {
        c.delay = 0.05;
        c.max_buffer_bytes = 8;
    }));
    auto& c = loop.connect();
    c.receive("12345678");
    BOOST_TEST(c.connection.read_room() == 0u);  // backpressure, not a drop
    BOOST_TEST(!c.connection.interest().read);
    loop.advance(51);
    BOOST_TEST(c.transport.wire == "12345678");
    c.complete_send();
    BOOST_TEST(c.connection.read_room() > 0u);
}

// 1000 B/s: a burst of 10 ms worth, then half a burst each time the bucket has it (5 ms).
BOOST_AUTO_TEST_CASE(bandwidth_sends_a_burst_then_waits_for_the_rate) {
    Loop loop(with([](Config& c) { c.bandwidth = 1000; }));
    auto& c = loop.connect();
    c.receive(std::string(25, 'x'));
    BOOST_TEST(c.transport.wire.size() == 10u);
    c.complete_send();
    BOOST_TEST(*loop.service.next_deadline() == loop.clock.now_ms() + 5);
    loop.advance(4);
    BOOST_TEST(c.transport.wire.size() == 10u);
    loop.advance(1);
    BOOST_TEST(c.transport.wire.size() == 15u);
    c.complete_send();
    loop.advance(5);
    BOOST_TEST(c.transport.wire.size() == 20u);
    c.complete_send();
    loop.advance(5);
    BOOST_TEST(c.transport.wire.size() == 25u);
}

BOOST_AUTO_TEST_CASE(close_after_sends_a_fin_at_exactly_its_time) {
    Loop loop(with([](Config& c) { c.close_after = 1; }));
    auto& c = loop.connect();
    loop.advance(1000);  // accepted within the first ms: a whole second from its end
    BOOST_TEST(!c.transport.fin);
    loop.advance(1);
    BOOST_TEST(c.transport.fin);
    BOOST_TEST((c.connection.state() == Connection::State::discarding));
    BOOST_TEST((c.connection.peer_closed() == Connection::Next::close));
    c.connection.close();
    BOOST_TEST(loop.service.stats().closed_fault_close.get() == 1u);
}

// A completion transport's send still in flight when the lifetime ends: our FIN waits for it,
// as every FIN does (io_uring's shutdown() would cut the send short: EPIPE, a reset).
BOOST_AUTO_TEST_CASE(close_after_sends_its_fin_once_the_send_in_flight_is_done) {
    Loop loop(with([](Config& c) { c.close_after = 0.1; }));
    auto& c = loop.connect();
    c.receive("abc");
    BOOST_TEST(c.transport.in_flight == 3u);
    loop.advance(101);
    BOOST_TEST((c.connection.state() == Connection::State::discarding));
    BOOST_TEST(!c.transport.fin);
    c.complete_send();
    BOOST_TEST(c.transport.fin);
    BOOST_TEST(c.transport.wire == "abc");
}

BOOST_AUTO_TEST_CASE(reset_after_resets_at_exactly_its_time) {
    Loop loop(with([](Config& c) { c.reset_after = 0.5; }));
    auto& c = loop.connect();
    loop.advance(500);
    BOOST_TEST(!c.transport.aborted);
    loop.advance(1);
    BOOST_TEST(c.transport.aborted);
    BOOST_TEST(c.connection.closed());
    BOOST_TEST(loop.service.stats().closed_fault_reset.get() == 1u);
}

BOOST_AUTO_TEST_CASE(fault_probability_zero_spares_the_lifetime_but_not_the_delay) {
    Loop loop(with([](Config& c) {
        c.reset_after = 0.1;
        c.delay = 0.01;
        c.fault_probability = 0;
    }));
    auto& c = loop.connect();
    c.receive("x");
    loop.advance(11);
    BOOST_TEST(c.transport.wire == "x");
    loop.advance(1000);
    BOOST_TEST(!c.transport.aborted);
}

BOOST_AUTO_TEST_CASE(a_reload_changes_the_faults_of_new_connections_only) {
    Loop loop(with([](Config& c) { c.delay = 0.1; }));
    auto& old = loop.connect();
    loop.service.reconfigure(Config{});
    auto& fresh = loop.connect();
    old.receive("a");
    fresh.receive("b");
    BOOST_TEST(fresh.transport.wire == "b");
    BOOST_TEST(old.transport.wire == "");
    loop.advance(101);
    BOOST_TEST(old.transport.wire == "a");
}

BOOST_AUTO_TEST_CASE(accept_delay_serves_the_socket_at_exactly_its_time) {
    Loop loop(with([](Config& c) { c.accept_delay = 0.3; }));
    int pair[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    Fd client(pair[1]);
    loop.service.admit(pair[0]);
    BOOST_TEST(loop.hooks.adopted.empty());
    BOOST_TEST(loop.shared.process.active.load() == 1u);  // it holds its max_connections slot
    loop.advance(300);
    BOOST_TEST(loop.hooks.adopted.empty());
    loop.advance(1);
    BOOST_TEST(loop.hooks.adopted.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_drain_serves_sockets_still_waiting_out_accept_delay) {
    Loop loop(with([](Config& c) { c.accept_delay = 60; }));
    int pair[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    Fd client(pair[1]);
    loop.service.admit(pair[0]);
    BOOST_TEST(!loop.service.finished());
    loop.service.begin_drain();
    BOOST_TEST(loop.hooks.adopted.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
