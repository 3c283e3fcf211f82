// SPDX-License-Identifier: BSL-1.0
// Limits and faults: many clients, too many clients, too few descriptors, resets, idlers.
// None of them may disturb a healthy connection.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <optional>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {
// Room for many client sockets in this test process too.
void raise_own_fd_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

void expect_echo(int fd, const std::string& text) {
    send_all(fd, text);
    BOOST_TEST(recv_exact(fd, text.size()) == text);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(limits)

namespace {
void all_clients_get_their_bytes(int count) {
    raise_own_fd_limit();
    Server server;
    std::vector<Fd> clients;
    for (int i = 0; i < count; ++i) clients.push_back(connect_to(server.port()));
    for (int i = 0; i < count; ++i) send_all(clients[i].get(), "client " + std::to_string(i) + " says hi;");
    int correct = 0;
    for (int i = 0; i < count; ++i) {
        const std::string expected = "client " + std::to_string(i) + " says hi;";
        correct += recv_exact(clients[i].get(), expected.size()) == expected;
    }
    BOOST_TEST(correct == count);
    clients.clear();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("accepted") == static_cast<std::uint64_t>(count));
}
}  // namespace

BOOST_AUTO_TEST_CASE(thousand_concurrent_clients_all_get_their_bytes) { all_clients_get_their_bytes(1000); }

// Past FD_SETSIZE (1024) descriptors: select's textbook limit does not apply to echomux.
BOOST_AUTO_TEST_CASE(two_thousand_concurrent_clients_beyond_fd_setsize) { all_clients_get_their_bytes(2000); }

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_closed_at_once) {
    Server server({"--max-connections=3"});
    std::vector<Fd> kept;
    for (int i = 0; i < 3; ++i) {
        kept.push_back(connect_to(server.port()));
        expect_echo(kept.back().get(), "kept " + std::to_string(i));
    }
    for (int i = 0; i < 5; ++i) {
        auto extra = connect_to(server.port());  // the kernel completes the handshake...
        bool clean_eof = false;
        BOOST_TEST(recv_until_eof(extra.get(), &clean_eof).empty());  // ...the server closes it
        BOOST_TEST(clean_eof);
    }
    // Also when the client spoke first: what it sent is read and dropped, so the close is
    // a FIN (EOF), not the RST that closing over unread bytes would send.
    for (int i = 0; i < 20; ++i) {
        auto eager = connect_to(server.port());
        send_all(eager.get(), "hello from an eager client #" + std::to_string(i));
        bool clean_eof = false;
        BOOST_TEST(recv_until_eof(eager.get(), &clean_eof).empty());
        BOOST_CHECK_MESSAGE(clean_eof, "client " << i << " was reset instead of closed");
    }
    for (int i = 0; i < 3; ++i) expect_echo(kept[i].get(), "still here " + std::to_string(i));
    // A freed slot is usable again.
    kept.pop_back();
    bool served = false;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {
        auto again = connect_to(server.port());
        send_all(again.get(), "new");
        served = recv_exact(again.get(), 3) == "new";
        if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST(served);
    kept.clear();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("rejected") >= 25u);
    BOOST_TEST(server.process().err().find("max_connections (3) reached") != std::string::npos);
}

// Out of descriptors: accept pauses instead of spinning, connections wait in the backlog,
// and every one of them is served once descriptors free up.
BOOST_AUTO_TEST_CASE(fd_exhaustion_pauses_accept_then_recovers) {
    // The descriptor budget keeps connections below the limit (64 - reserve 24 = 40), so
    // only descriptors it did not count run the server out: 36 inherited ones (no CLOEXEC).
    std::vector<Fd> inherited;
    for (int i = 0; i < 36; ++i) inherited.emplace_back(::open("/dev/null", O_RDONLY));
    Server server({}, ProcessOptions{{}, 64, {}});
    inherited.clear();
    {
        // One full connection life first: realistic, and what a first connection sets up
        // lazily has its descriptors before there are none (the ASan build leaves out UBSan's
        // vptr check, which probes memory through a pipe: CMakeLists.txt).
        auto first = connect_to(server.port());
        expect_echo(first.get(), "first");
        ::shutdown(first.get(), SHUT_WR);
        BOOST_TEST(recv_until_eof(first.get()).empty());
    }
    std::vector<Fd> clients;
    for (int i = 0; i < 60; ++i) {
        clients.push_back(connect_to(server.port()));
        send_all(clients.back().get(), "#" + std::to_string(i));
    }
    BOOST_REQUIRE(server.process().wait_for_err("Too many open files", 5s));
    const double cpu_before = server.process().cpu_seconds();
    std::this_thread::sleep_for(1s);
    const double cpu_used = server.process().cpu_seconds() - cpu_before;
    BOOST_TEST_MESSAGE("server CPU while out of descriptors: " << cpu_used << " s in 1 s");
    BOOST_TEST(cpu_used < 0.2);  // no busy loop
    int served = 0;
    for (int i = 0; i < 60; ++i) {  // each answer frees a descriptor for the next in line
        const std::string expected = "#" + std::to_string(i);
        served += recv_exact(clients[i].get(), expected.size()) == expected;
        clients[i].reset();
    }
    BOOST_TEST(served == 60);
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("fd_exhaustion") > 0u);
    BOOST_TEST(server.counter("accepted") == 61u);
}

// Resets (SO_LINGER 0) at every stage of a connection only end that connection; no
// SIGPIPE, and a healthy client is served afterwards.
BOOST_AUTO_TEST_CASE(abrupt_resets_only_end_their_own_connection) {
    Server server;
    auto healthy = connect_to(server.port());
    expect_echo(healthy.get(), "before");
    for (int i = 0; i < 200; ++i) {
        auto c = connect_to(server.port());
        if (i % 3 == 1) send_all(c.get(), "half a message");
        if (i % 3 == 2) {  // reset while the server is blocked writing to us
            std::vector<unsigned char> big(4u << 20, 'x');
            const timeval short_wait{0, 200000};
            ::setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &short_wait, sizeof short_wait);
            ::send(c.get(), big.data(), big.size(), MSG_NOSIGNAL);
        }
        reset(c);
    }
    expect_echo(healthy.get(), "after");
    auto fresh = connect_to(server.port());
    expect_echo(fresh.get(), "fresh");
    healthy.reset();
    fresh.reset();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("accepted") == 202u);
    const auto closed = server.counter("closed_eof") + server.counter("closed_reset") + server.counter("closed_idle") +
                        server.counter("closed_drain") + server.counter("closed_proxy_error");
    BOOST_TEST(closed == 202u);
    BOOST_TEST(server.counter("closed_reset") >= 60u);  // at least those reset mid-write
}

// The idle one is closed when idle_timeout (300 ms) has passed, give or take 50 ms; the
// busy one, active every 100 ms for over three timeouts, never is.
BOOST_AUTO_TEST_CASE(idle_connections_are_closed_after_idle_timeout) {
    // 1 s against the busy client's 100 ms pace: a loaded host may stall this test for
    // hundreds of ms without making the busy client idle.
    Server server({"--idle-timeout=1s"});
    auto idle = connect_to(server.port());
    auto busy = connect_to(server.port());
    expect_echo(idle.get(), "accepted");  // its idle time starts now
    const auto start = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::duration> idle_closed_after;
    for (int i = 0; i < 25; ++i) {  // the busy client's pace: 100 ms, spent watching the idle one
        expect_echo(busy.get(), "tick");
        if (idle_closed_after) std::this_thread::sleep_for(100ms);
        else if (peer_closed_within(idle.get(), 100)) idle_closed_after = std::chrono::steady_clock::now() - start;
    }
    BOOST_REQUIRE(idle_closed_after);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*idle_closed_after).count();
    BOOST_TEST_MESSAGE("idle connection closed after " << ms << " ms (idle_timeout 1 s)");
    BOOST_TEST(ms >= 950);
    BOOST_TEST(ms <= 1600);
    bool clean_eof = false;
    BOOST_TEST(recv_until_eof(idle.get(), &clean_eof).empty());
    BOOST_TEST(clean_eof);
    expect_echo(busy.get(), "still open");
    busy.reset();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("closed_idle") == 1u);
}

BOOST_AUTO_TEST_CASE(idle_timeout_is_not_early) {
    Server server({"--idle-timeout=1s"});
    auto idle = connect_to(server.port());
    BOOST_TEST(!peer_closed_within(idle.get(), 700));
    BOOST_TEST(peer_closed_within(idle.get(), 3000));
}

BOOST_AUTO_TEST_SUITE_END()
