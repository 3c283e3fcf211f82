// SIGTERM/SIGINT: stop accepting, let open connections finish for up to drain_timeout,
// exit 0. A second signal exits at once.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
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
    bool refused = false;  // the loop closes its listener as soon as it takes the request
    for (const auto deadline = std::chrono::steady_clock::now() + 2s; !refused && std::chrono::steady_clock::now() < deadline;)
        refused = !try_connect(server.port());
    BOOST_TEST(refused);  // no longer accepting
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

namespace {
// Milliseconds since midnight UTC of the log line that contains `text` ("2026-11-25T13:50:35.189Z
// echomux ..."), -1 if there is none: the server's own clock, free of this process's scheduling.
long long logged_at_ms(const std::string& log, const std::string& text) {
    const auto at = log.find(text);
    if (at == std::string::npos) return -1;
    const auto line = log.rfind('\n', at) + 1;  // npos + 1 == 0 for the first line
    int h = 0, m = 0, sec = 0, ms = 0;
    if (std::sscanf(log.c_str() + line, "%*4d-%*2d-%*2dT%d:%d:%d.%dZ", &h, &m, &sec, &ms) != 4) return -1;
    return ((h * 60LL + m) * 60 + sec) * 1000 + ms;
}
}  // namespace

// drain_timeout is kept to within 50 ms, on every backend: stragglers are closed when it
// runs out, not at the loop's next periodic tick.
BOOST_AUTO_TEST_CASE(drain_timeout_closes_stragglers_on_time_and_exits_zero) {
    Server server({"--drain-timeout=100ms"});
    auto idle = connect_to(server.port());
    send_all(idle.get(), "hi");
    BOOST_TEST(recv_exact(idle.get(), 2) == "hi");
    const auto start = std::chrono::steady_clock::now();
    server.process().signal(SIGTERM);
    const auto status = server.process().wait(5s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
    BOOST_TEST(peer_closed_within(idle.get(), 1000));
    BOOST_TEST(server.counter("drain_closed") == 1u);
    const std::string log = server.process().err();
    const long long received = logged_at_ms(log, "received Terminated");
    const long long closed = logged_at_ms(log, "drain_timeout reached");
    const long long stopped = logged_at_ms(log, "stopped: ");
    BOOST_REQUIRE(received >= 0);
    BOOST_REQUIRE(closed >= 0);
    BOOST_REQUIRE(stopped >= 0);
    BOOST_TEST_MESSAGE("drain_timeout 100 ms: stragglers closed after " << closed - received << " ms, stopped after "
                                                                        << stopped - received << " ms");
    BOOST_TEST(closed - received >= 50);
    BOOST_TEST(closed - received <= 150);
    BOOST_TEST(stopped - received <= 150);
    BOOST_TEST((elapsed >= 100ms));
    BOOST_TEST((elapsed < 1s));  // process teardown included, under sanitizers too
}

// The same under load: clients streaming flat out make every round of the loop long, and
// the drain request and its deadline must still be served within 50 ms.
BOOST_AUTO_TEST_CASE(drain_timeout_holds_while_clients_stream) {
    Server server({"--drain-timeout=100ms", "--threads=2"});
    std::vector<echomux::Fd> clients;
    for (int i = 0; i < 40; ++i) clients.push_back(connect_to(server.port()));
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> echoed{0};
    std::vector<std::thread> threads;
    for (auto& c : clients) {
        const int fd = c.get();
        threads.emplace_back([fd, &stop] {
            const std::vector<char> block(64 * 1024, 's');
            while (!stop && try_send_all(fd, block.data(), block.size())) {
            }
        });
        threads.emplace_back([fd, &echoed] {
            std::vector<char> chunk(1 << 20);
            ssize_t n;
            while ((n = ::recv(fd, chunk.data(), chunk.size(), 0)) > 0) echoed += static_cast<std::uint64_t>(n);
        });
    }
    const auto flowing_by = std::chrono::steady_clock::now() + 10s;
    while (echoed < (256u << 20) && std::chrono::steady_clock::now() < flowing_by)
        std::this_thread::sleep_for(5ms);  // polling period
    const bool flowing = echoed >= (256u << 20);
    server.process().signal(SIGTERM);
    const auto status = server.process().wait(5s);
    stop = true;
    for (auto& c : clients) ::shutdown(c.get(), SHUT_RDWR);  // unblock our own threads
    for (auto& t : threads) t.join();
    BOOST_REQUIRE(flowing);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
    const std::string log = server.process().err();
    const long long received = logged_at_ms(log, "received Terminated");
    const long long closed = logged_at_ms(log, "drain_timeout reached");
    BOOST_REQUIRE(received >= 0);
    BOOST_REQUIRE(closed >= 0);
    BOOST_TEST_MESSAGE("under load, drain_timeout 100 ms: stragglers closed after " << closed - received << " ms");
    BOOST_TEST(closed - received >= 50);
    BOOST_TEST(closed - received <= 150);
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
