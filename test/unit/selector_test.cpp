// SPDX-License-Identifier: BSL-1.0
// Every Selector honours the same contract, checked on socketpairs.
#include "echomux/util/fd.hpp"
#include "echomux/backends/native/default_selector.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

using namespace echomux;
using namespace echomux::native;

namespace {
const char* const kinds[] = {"select", "poll", "epoll-level", "epoll-edge"};

std::unique_ptr<Selector> make(const std::string& kind) {
    if (kind == "select") return make_selector(Backend::select, EpollMode::level);
    if (kind == "poll") return make_selector(Backend::poll, EpollMode::level);
    return make_selector(Backend::epoll, kind == "epoll-edge" ? EpollMode::edge : EpollMode::level);
}

struct Pair {
    Pair() {
        int fds[2];
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
    Fd a, b;
};

// What a key carries. A selector never calls it (its caller does), so it does nothing:
// the tests assert on what select() returns, not on what a callback saw.
struct Callback final : Handler {
    void on_events(unsigned) override {}
};

unsigned ready_events(Selector& s, int fd, int timeout_ms = 0) {
    unsigned events = 0;
    for (const Ready& r : s.select(timeout_ms))
        if (r.key.fd == fd) events |= r.events;
    return events;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(selector)

BOOST_DATA_TEST_CASE(reports_readable_and_writable_sockets, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ | EVENT_WRITE, &handler);
    BOOST_TEST(ready_events(*s, p.a.get()) == EVENT_WRITE);  // writable, nothing to read
    BOOST_REQUIRE(::write(p.b.get(), "x", 1) == 1);
    const auto& ready = s->select(1000);
    BOOST_REQUIRE_EQUAL(ready.size(), 1u);
    BOOST_TEST(ready[0].key.fd == p.a.get());
    BOOST_TEST(ready[0].key.data == &handler);  // the key carries the callback
    BOOST_TEST(ready[0].key.events == (EVENT_READ | EVENT_WRITE));
    BOOST_TEST(ready[0].events == (EVENT_READ | EVENT_WRITE));  // readable now, and still writable
}

BOOST_DATA_TEST_CASE(modify_changes_what_is_watched_and_the_data, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback first, second;
    s->register_fd(p.a.get(), EVENT_WRITE, &first);
    BOOST_TEST(ready_events(*s, p.a.get()) == EVENT_WRITE);
    s->modify(p.a.get(), EVENT_READ, &second);
    BOOST_TEST(s->get_key(p.a.get())->data == &second);
    BOOST_TEST(s->get_key(p.a.get())->events == EVENT_READ);
    BOOST_TEST(ready_events(*s, p.a.get()) == 0u);  // not readable, and write is no longer watched
    BOOST_REQUIRE(::write(p.b.get(), "x", 1) == 1);
    BOOST_TEST(ready_events(*s, p.a.get(), 1000) == EVENT_READ);
}

BOOST_DATA_TEST_CASE(unregister_stops_reports, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ, &handler);
    BOOST_REQUIRE(::write(p.b.get(), "x", 1) == 1);
    s->unregister(p.a.get());
    BOOST_TEST(s->get_key(p.a.get()) == nullptr);
    BOOST_TEST(s->size() == 0u);
    BOOST_TEST(s->select(0).empty());
}

// epoll keeps a registration while any dup of its fd lives: an fd closed before it was
// unregistered (EPOLL_CTL_DEL then fails) is still reported, with no key left for it. The
// event is skipped and the rest are served. (select and poll report from their own tables,
// which unregister empties, so they cannot be made to report such an fd.)
BOOST_DATA_TEST_CASE(an_event_for_an_fd_without_a_key_is_skipped,
                     boost::unit_test::data::make({"epoll-level", "epoll-edge"}), kind) {
    auto s = make(kind);
    Pair stale, live;
    Callback handler;
    const Fd dup(::dup(stale.a.get()));  // keeps the closed fd's registration in the kernel
    const int stale_fd = stale.a.get();
    s->register_fd(stale_fd, EVENT_READ, &handler);
    s->register_fd(live.a.get(), EVENT_READ, &handler);
    stale.a.reset();
    s->unregister(stale_fd);
    BOOST_REQUIRE(::write(stale.b.get(), "x", 1) == 1);
    BOOST_REQUIRE(::write(live.b.get(), "y", 1) == 1);
    const auto& ready = s->select(1000);
    BOOST_REQUIRE_EQUAL(ready.size(), 1u);
    BOOST_TEST(ready[0].key.fd == live.a.get());
}

BOOST_DATA_TEST_CASE(select_waits_for_the_timeout, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ, &handler);
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(s->select(100).empty());
    const auto waited = std::chrono::steady_clock::now() - start;
    BOOST_TEST((waited >= std::chrono::milliseconds(90)));
    BOOST_TEST((waited < std::chrono::seconds(2)));
}

BOOST_DATA_TEST_CASE(misuse_is_a_clear_error, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ, &handler);
    BOOST_CHECK_THROW(s->register_fd(p.a.get(), EVENT_READ, &handler), std::invalid_argument);
    BOOST_CHECK_THROW(s->unregister(p.b.get()), std::invalid_argument);
    BOOST_CHECK_THROW(s->modify(p.b.get(), EVENT_READ, &handler), std::invalid_argument);
    BOOST_CHECK_THROW(s->register_fd(p.b.get(), 0, &handler), std::invalid_argument);
    BOOST_CHECK_THROW(s->register_fd(-1, EVENT_READ, &handler), std::invalid_argument);
    try {
        s->register_fd(p.a.get(), EVENT_READ, &handler);
        BOOST_ERROR("registering a registered fd did not throw");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()) == "fd " + std::to_string(p.a.get()) + " is already registered");
    }
    s->unregister(p.a.get());
    BOOST_CHECK_THROW(s->unregister(p.a.get()), std::invalid_argument);
}

// Peer closed: reported as readable (recv then returns 0), data before the close first.
// An edge-triggered reader is also told of the hang-up, which no later edge would report.
BOOST_DATA_TEST_CASE(hang_up_is_readable_and_keeps_data, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ, &handler);
    BOOST_REQUIRE(::write(p.b.get(), "last", 4) == 4);
    p.b.reset();
    const unsigned events = ready_events(*s, p.a.get(), 1000);
    BOOST_TEST((events & ~EVENT_HANGUP) == EVENT_READ);
    if (s->edge_triggered()) BOOST_TEST((events & EVENT_HANGUP) != 0);
    char buf[8];
    BOOST_TEST(::read(p.a.get(), buf, sizeof buf) == 4);
    BOOST_TEST(::read(p.a.get(), buf, sizeof buf) == 0);
}

BOOST_DATA_TEST_CASE(level_triggered_repeats_edge_triggered_does_not, boost::unit_test::data::make(kinds), kind) {
    auto s = make(kind);
    Pair p;
    Callback handler;
    s->register_fd(p.a.get(), EVENT_READ, &handler);
    BOOST_REQUIRE(::write(p.b.get(), "xy", 2) == 2);
    BOOST_TEST(ready_events(*s, p.a.get(), 1000) == EVENT_READ);
    // Nothing read: level-triggered reports again, edge-triggered waits for new data.
    const unsigned again = ready_events(*s, p.a.get(), 50);
    BOOST_TEST(again == (s->edge_triggered() ? 0u : EVENT_READ));
    BOOST_REQUIRE(::write(p.b.get(), "z", 1) == 1);
    BOOST_TEST(ready_events(*s, p.a.get(), 1000) == EVENT_READ);
    // Re-registering interest (modify) reports readiness that is already there, even edge.
    s->modify(p.a.get(), EVENT_READ | EVENT_WRITE, &handler);
    BOOST_TEST((ready_events(*s, p.a.get(), 1000) & EVENT_READ) != 0u);
}

// The point of SelectSelector's own bit sets: fds at and past FD_SETSIZE work.
BOOST_AUTO_TEST_CASE(select_watches_fds_beyond_fd_setsize) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max < FD_SETSIZE + 64) limit.rlim_max = FD_SETSIZE + 64;  // root may raise it
    limit.rlim_cur = limit.rlim_max;
    BOOST_REQUIRE_MESSAGE(::setrlimit(RLIMIT_NOFILE, &limit) == 0,
                          "this test needs " << FD_SETSIZE + 64 << " descriptors; the hard limit (ulimit -Hn) is lower");
    auto s = make("select");
    Pair p;
    Fd high(::fcntl(p.a.get(), F_DUPFD_CLOEXEC, FD_SETSIZE + 10));
    BOOST_REQUIRE(high.get() >= FD_SETSIZE);
    Callback handler;
    s->register_fd(high.get(), EVENT_READ, &handler);
    BOOST_TEST(ready_events(*s, high.get()) == 0u);
    BOOST_REQUIRE(::write(p.b.get(), "x", 1) == 1);
    BOOST_TEST(ready_events(*s, high.get(), 1000) == EVENT_READ);
}

BOOST_AUTO_TEST_SUITE_END()
