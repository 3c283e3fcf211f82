// SPDX-License-Identifier: BSL-1.0
// Every timer rule of the Service on a clock the test moves by hand: idle timeout, drain
// deadline, the accept pause after EMFILE, the PROXY header timeout, and a reload that
// changes them. Exact boundaries (idle 299.999 s stays, 300 s closes); no socket, no sleep.
#include "echomux/core/connection.hpp"
#include "echomux/core/service.hpp"
#include "support/completion_transport.hpp"
#include "support/manual_clock.hpp"
#include "support/service_loop.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>

#include <cerrno>
#include <vector>

using namespace echomux;
using echomux::test::CompletionConnection;
using echomux::test::ManualClock;

namespace {
struct RecordingHooks final : LoopHooks {
    void adopt(int fd) override { adopted.emplace_back(fd); }
    void watch_listener(bool watch) override { watched.push_back(watch); }
    void close_listener() override {
        listener_closed = true;
        adopted_before_close = adopted.size();
        listener = -1;
    }
    int listener_fd() override { return listener; }
    void deadline_changed() override { ++deadline_changes; }
    std::vector<bool> watched;
    std::vector<Fd> adopted;
    std::size_t adopted_before_close = 0;
    bool listener_closed = false;
    int listener = -1;
    int deadline_changes = 0;
};

using Fixture = echomux::test::ServiceLoop<RecordingHooks>;
using echomux::test::with;
}  // namespace

BOOST_AUTO_TEST_SUITE(service_timers)

BOOST_AUTO_TEST_CASE(a_connection_idle_just_under_the_timeout_stays_and_at_it_closes) {
    Fixture f(with([](Config& c) { c.idle_timeout = 300; }));
    auto& c = f.connect();
    BOOST_TEST(f.due_in() == 300'000);
    f.advance(299'999);
    BOOST_TEST(!c.connection.closed());
    BOOST_TEST(f.due_in() == 1);
    BOOST_TEST(f.service.wait_ms() == 1);
    f.advance(1);
    BOOST_TEST(c.connection.closed());
    BOOST_TEST(c.transport.released);
    BOOST_TEST(f.service.stats().closed_idle.get() == 1u);
    BOOST_TEST(!f.service.next_deadline().has_value());  // nothing left to time
    BOOST_TEST(f.shared.active.load() == 0u);
}

BOOST_AUTO_TEST_CASE(activity_moves_the_idle_deadline_and_the_least_recent_goes_first) {
    Fixture f(with([](Config& c) { c.idle_timeout = 10; }));
    auto& first = f.connect();
    f.advance(4'000);
    auto& second = f.connect();
    f.advance(4'000);
    f.service.update_time();
    first.receive("x");  // first is now the more recent
    BOOST_TEST(f.due_in() == 6'000);  // second's, 10 s after it came
    f.advance(6'000);
    BOOST_TEST(second.connection.closed());
    BOOST_TEST(!first.connection.closed());
    BOOST_TEST(f.due_in() == 4'000);  // 10 s after first's bytes
    f.advance(3'999);
    BOOST_TEST(!first.connection.closed());
    f.advance(1);
    BOOST_TEST(first.connection.closed());
}

BOOST_AUTO_TEST_CASE(idle_timeout_zero_never_closes) {
    Fixture f(with([](Config& c) { c.idle_timeout = 0; }));
    auto& c = f.connect();
    BOOST_TEST(!f.service.next_deadline().has_value());
    BOOST_TEST(f.service.wait_ms() == -1);
    f.advance(365LL * 24 * 3600 * 1000);
    BOOST_TEST(!c.connection.closed());
}

BOOST_AUTO_TEST_CASE(a_reload_that_shortens_the_idle_timeout_applies_to_open_connections) {
    Fixture f(with([](Config& c) { c.idle_timeout = 300; }));
    auto& c = f.connect();
    f.advance(60'000);
    Config next = f.service.config();
    next.idle_timeout = 30;
    const int changes = f.hooks.deadline_changes;
    f.service.reconfigure(next);
    BOOST_TEST(f.hooks.deadline_changes > changes);  // a loop asleep on a timer re-arms it
    BOOST_TEST(f.due_in() <= 0);
    f.service.tick();
    BOOST_TEST(c.connection.closed());
}

BOOST_AUTO_TEST_CASE(the_drain_waits_drain_timeout_then_closes_what_is_left) {
    Fixture f(with([](Config& c) {
        c.idle_timeout = 0;
        c.drain_timeout = 10;
    }));
    auto& c = f.connect();
    f.service.begin_drain();
    BOOST_TEST(f.hooks.listener_closed);
    BOOST_TEST(f.service.draining());
    BOOST_TEST(!f.service.finished());
    BOOST_TEST(f.due_in() == 10'000);
    f.advance(9'999);
    BOOST_TEST(!c.connection.closed());
    f.advance(1);
    BOOST_TEST(c.connection.closed());
    BOOST_TEST(f.service.stats().closed_drain.get() == 1u);
    BOOST_TEST(f.service.finished());
}

BOOST_AUTO_TEST_CASE(a_drain_with_no_connection_is_finished_at_once) {
    Fixture f;
    f.service.begin_drain();
    BOOST_TEST(f.service.finished());
    BOOST_TEST(!f.service.next_deadline().has_value());
}

BOOST_AUTO_TEST_CASE(accept_pauses_100_ms_after_emfile_then_resumes) {
    Fixture f;
    f.service.accept_failed(EMFILE);
    BOOST_TEST(f.hooks.watched == std::vector<bool>{false});
    BOOST_TEST(f.service.stats().fd_exhaustion.get() == 1u);
    BOOST_TEST(f.due_in() == 100);
    f.advance(99);
    BOOST_TEST(f.hooks.watched == std::vector<bool>{false});
    f.advance(1);
    BOOST_TEST((f.hooks.watched == std::vector<bool>{false, true}));
    BOOST_TEST(!f.service.next_deadline().has_value());
}

// Clients whose connect() completed wait in the listener's backlog; closing the listener
// would reset them. The drain takes them first, even while accepting is paused (EMFILE):
// here deterministic, the pause far from over (conformance's shutdown test checks it end
// to end, where the SIGTERM may or may not fall inside the pause).
BOOST_AUTO_TEST_CASE(a_drain_during_the_accept_pause_takes_the_backlog_before_closing_the_listener) {
    Fixture f;
    int port = 0;
    Fd listener = test::listen_on_loopback(port);
    ::fcntl(listener.get(), F_SETFL, ::fcntl(listener.get(), F_GETFL) | O_NONBLOCK);
    f.hooks.listener = listener.get();
    std::vector<Fd> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(test::connect_to(port));  // into the backlog
    f.service.accept_failed(EMFILE);
    f.advance(50);  // half the pause
    BOOST_REQUIRE(f.hooks.watched == std::vector<bool>{false});
    f.service.begin_drain();
    BOOST_TEST(f.hooks.listener_closed);
    BOOST_TEST(f.hooks.adopted_before_close == 3u);
    BOOST_TEST(f.service.stats().accepted.get() == 3u);
}

BOOST_AUTO_TEST_CASE(transient_accept_errors_do_not_pause) {
    Fixture f;
    for (int error : {EAGAIN, EINTR, ECONNABORTED, EPROTO}) f.service.accept_failed(error);
    BOOST_TEST(f.hooks.watched.empty());
    BOOST_TEST(!f.service.next_deadline().has_value());
}

BOOST_AUTO_TEST_CASE(a_drain_during_the_accept_pause_does_not_resume_accepting) {
    Fixture f;
    f.service.accept_failed(ENFILE);
    f.service.begin_drain();
    f.advance(1'000);
    BOOST_TEST(f.hooks.watched == std::vector<bool>{false});
}

BOOST_AUTO_TEST_CASE(a_required_proxy_header_missing_at_the_timeout_closes_the_connection) {
    Fixture f(with([](Config& c) {
        c.proxy_protocol = ProxyProtocol::required;
        c.proxy_header_timeout = 5;
        c.idle_timeout = 0;
    }));
    auto& c = f.connect();
    c.receive("PROXY TCP4 ");  // half a header
    BOOST_TEST(f.due_in() == 5'000);
    f.advance(4'999);
    BOOST_TEST(!c.connection.closed());
    f.advance(1);
    BOOST_TEST(c.connection.closed());
    BOOST_TEST(f.service.stats().proxy_timeout.get() == 1u);
    BOOST_TEST(f.service.stats().closed_proxy_error.get() == 1u);
    BOOST_TEST(c.transport.wire.empty());
}

BOOST_AUTO_TEST_CASE(an_optional_proxy_header_missing_at_the_timeout_serves_the_client_as_it_is) {
    Fixture f(with([](Config& c) {
        c.proxy_protocol = ProxyProtocol::optional;
        c.proxy_header_timeout = 2;
        c.greeting = "hi";
    }));
    auto& c = f.connect();
    BOOST_TEST(c.transport.wire.empty());  // greeted once the header question is settled
    f.advance(2'000);
    BOOST_TEST(!c.connection.closed());
    BOOST_TEST(c.transport.wire == "hi\n");
    BOOST_TEST(c.transport.called_soon);  // the loop resumes it: bytes may be held
}

// Each waiting connection's deadline is when it came plus the timeout in force: a reload
// from 15 s to 1 s holds no one for the old 15 s (the list was checked only at its front,
// whose deadline had been fixed at 15 s).
BOOST_AUTO_TEST_CASE(a_reload_that_shortens_the_header_timeout_applies_to_every_waiting_connection) {
    Fixture f(with([](Config& c) {
        c.proxy_protocol = ProxyProtocol::required;
        c.proxy_header_timeout = 15;
        c.idle_timeout = 0;
    }));
    auto& old = f.connect();
    Config next = f.service.config();
    next.proxy_header_timeout = 1;
    f.service.reconfigure(next);
    f.advance(500);
    auto& newer = f.connect();
    BOOST_TEST(f.due_in() == 500);
    f.advance(500);
    BOOST_TEST(old.connection.closed());
    BOOST_TEST(!newer.connection.closed());
    f.advance(499);
    BOOST_TEST(!newer.connection.closed());
    f.advance(1);
    BOOST_TEST(newer.connection.closed());
}

BOOST_AUTO_TEST_CASE(the_nearest_of_all_deadlines_is_the_one_waited_for) {
    Fixture f(with([](Config& c) {
        c.idle_timeout = 60;
        c.drain_timeout = 30;
    }));
    f.connect();
    BOOST_TEST(f.due_in() == 60'000);
    f.service.accept_failed(EMFILE);
    BOOST_TEST(f.due_in() == 100);
    f.advance(100);
    f.service.begin_drain();
    BOOST_TEST(f.due_in() == 30'000);
}

// max_buffer_bytes reloads wholly: new connections' buffers and the loop's read size (a
// read is never larger than what the connection has room for, old or new).
BOOST_AUTO_TEST_CASE(a_reload_of_max_buffer_bytes_bounds_new_buffers_and_the_read_size) {
    Fixture f(with([](Config& c) {
        c.max_buffer_bytes = 256 * 1024;
        c.read_chunk_bytes = 64 * 1024;
    }));
    auto& old = f.connect();
    BOOST_TEST(old.connection.read_room() == 64 * 1024u);
    Config next = f.service.config();
    next.max_buffer_bytes = 8 * 1024;
    f.service.reconfigure(next);
    BOOST_TEST(f.service.read_size() == 8 * 1024u);
    BOOST_TEST(old.connection.read_room() == 8 * 1024u);
    auto& newer = f.connect();
    newer.transport.most = 0;  // takes nothing: what arrives waits in the buffer
    newer.receive(std::string(8 * 1024, 'x'));
    BOOST_TEST(newer.connection.read_room() == 0u);  // full at the new limit
    next.max_buffer_bytes = 1024 * 1024;
    f.service.reconfigure(next);
    BOOST_TEST(f.service.read_size() == 64 * 1024u);  // read_chunk_bytes again
}

BOOST_AUTO_TEST_SUITE_END()
