// SPDX-License-Identifier: BSL-1.0
// The HTTP endpoint: exact counters for a known workload, /healthz during a drain and at
// the open file limit, and the descriptor budget that keeps it answering.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {
long long sample(const std::string& page, const std::string& name) { return metric_sample(page, name); }

// Counters move when the server gets to it: poll briefly for the expected value.
long long settled(int port, const std::string& name, long long expected) {
    return wait_for_metric(port, name, [expected](long long value) { return value == expected; });
}

// The backend label /metrics must show for the backend under test.
std::string expected_backend_label() {
    const char* backend = std::getenv("ECHOMUX_TEST_BACKEND");
    return backend ? backend : "asio";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(metrics_count_a_known_workload_exactly) {
    Server server = Server::with_metrics({"--max-connections=3"});
    const int metrics_port = server.metrics_port();
    std::vector<Fd> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(connect_to(server.port()));
        const std::string payload(1000, static_cast<char>('a' + i));
        send_all(clients.back().get(), payload);
        BOOST_REQUIRE(recv_exact(clients.back().get(), 1000) == payload);
    }
    for (int i = 0; i < 2; ++i) {  // over the limit: closed at once
        auto extra = connect_to(server.port());
        BOOST_TEST(recv_until_eof(extra.get()).empty());
    }
    clients.pop_back();
    BOOST_TEST(settled(metrics_port, "echomux_connections_active", 2) == 2);
    const std::string page = http_get(metrics_port, "/metrics").body;
    BOOST_TEST(sample(page, "echomux_connections_accepted_total") == 3);
    BOOST_TEST(sample(page, "echomux_connections_rejected_total") == 2);
    BOOST_TEST(settled(metrics_port, "echomux_connections_closed_total{reason=\"eof\"}", 1) == 1);
    BOOST_TEST(sample(page, "echomux_received_bytes_total") == 3000);
    BOOST_TEST(sample(page, "echomux_sent_bytes_total") == 3000);
    BOOST_TEST(sample(page, "echomux_connections_closed_total{reason=\"idle\"}") == 0);
    BOOST_TEST(sample(page, "echomux_connections_closed_total{reason=\"reset\"}") == 0);
    BOOST_TEST(sample(page, "echomux_draining") == 0);
    BOOST_TEST(page.find("# TYPE echomux_received_bytes_total counter") != std::string::npos);
    const std::string info =
        "\nechomux_info{backend=\"" + expected_backend_label() + "\",mode=\"echo\",threads=\"1\"} 1\n";
    BOOST_TEST(page.find(info) != std::string::npos, "no " << info << " in " << page);
    BOOST_TEST(http_get(metrics_port, "/nothing-here").status == 404);
}

BOOST_AUTO_TEST_CASE(healthz_turns_503_while_draining) {
    Server server = Server::with_metrics({"--drain-timeout=20"});
    const int metrics_port = server.metrics_port();
    auto client = connect_to(server.port());
    send_all(client.get(), "ready");  // echoed: open before the drain (the drain accepts queued ones too)
    BOOST_REQUIRE(recv_exact(client.get(), 5) == "ready");
    const HttpReply before = http_get(metrics_port, "/healthz");
    BOOST_TEST(before.status == 200);
    BOOST_TEST(before.body == "ok\n");
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait_for_err("draining", 5s));
    const HttpReply during = http_get(metrics_port, "/healthz");
    BOOST_TEST(during.status == 503);
    BOOST_TEST(during.body == "draining\n");
    BOOST_TEST(sample(http_get(metrics_port, "/metrics").body, "echomux_draining") == 1);
    send_all(client.get(), "still served");  // draining, not refusing: the open client is served
    BOOST_TEST(recv_exact(client.get(), 12) == "still served");
    client.reset();
    const auto status = server.process().wait(5s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
}

// With RLIMIT_NOFILE 128, threads = 1 and metrics on, the budget is
// max_connections + metrics_max_connections (16) + a reserve of 24: 88 connections fit.
constexpr unsigned long kFdLimit = 128;
constexpr int kFittingConnections = 88;

BOOST_AUTO_TEST_CASE(healthz_answers_while_echo_connections_exceed_the_fd_limit) {
    Server server = Server::with_metrics({}, ProcessOptions{{}, kFdLimit, {}});
    BOOST_TEST(server.process().err().find(
                   "open file limit 128 < 10040 needed (max_connections 10000 + metrics 16 + reserve 24): "
                   "serving at most 88 connections") != std::string::npos,
               server.process().err());
    std::vector<Fd> clients;
    // All 200 wait in the backlog at once (the kernel completes the handshakes of a stopped
    // server): what it takes in one go when it wakes must still fit its descriptors.
    server.process().signal(SIGSTOP);
    for (int i = 0; i < 200; ++i) clients.push_back(connect_to(server.port()));
    for (auto& c : clients) ::send(c.get(), "x", 1, MSG_NOSIGNAL);
    server.process().signal(SIGCONT);
    int echoed = 0;
    const auto deadline = std::chrono::steady_clock::now() + 3s;  // one wait for all, not one each
    for (auto& c : clients) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        set_receive_timeout(c.get(), static_cast<int>(std::max<long long>(1, left.count())));
        if (recv_exact(c.get(), 1) == "x") ++echoed;
    }
    // the rest were closed at once, as over max_connections
    BOOST_TEST(echoed == kFittingConnections, "echoed " << echoed << "; server stderr:\n" << server.process().err());
    const HttpReply health = http_get(server.metrics_port(), "/healthz");
    BOOST_TEST(health.status == 200);
    const std::string metrics = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(sample(metrics, "echomux_connections_active") == kFittingConnections);
    // Over max_connections, each was accepted and closed at once: the reserve was never
    // touched (io_uring: no multishot accept taking the whole burst of 200 at once).
    BOOST_TEST(sample(metrics, "echomux_accept_fd_exhaustion_total") == 0);
}

// The same budget filled first, then a backlog's worth at once (io_uring: the multishot
// accept armed while there was room must have given way to single accepts as it filled).
BOOST_AUTO_TEST_CASE(a_burst_at_a_full_fd_budget_takes_no_descriptor_beyond_it) {
    constexpr int kBacklog = 60;  // the server's queue: the burst below fits in it
    Server server =
        Server::with_metrics({"--backlog=" + std::to_string(kBacklog)}, ProcessOptions{{}, kFdLimit, {}});
    std::vector<Fd> served;
    while (served.size() < static_cast<std::size_t>(kFittingConnections)) {  // waves well under the backlog
        const std::size_t wave_end = std::min(served.size() + 8, static_cast<std::size_t>(kFittingConnections));
        const std::size_t wave_start = served.size();
        while (served.size() < wave_end) served.push_back(connect_to(server.port()));
        for (std::size_t i = wave_start; i < wave_end; ++i) {
            send_all(served[i].get(), "w");
            BOOST_REQUIRE_EQUAL(recv_exact(served[i].get(), 1), "w");
        }
    }
    std::vector<Fd> burst;
    server.process().signal(SIGSTOP);
    for (int i = 0; i < kBacklog - 1; ++i) burst.push_back(connect_to(server.port()));
    server.process().signal(SIGCONT);
    for (auto& c : burst) {  // over max_connections: closed at once (EOF), never served
        set_receive_timeout(c.get(), 3000);
        bool clean_eof = false;
        BOOST_TEST(recv_until_eof(c.get(), &clean_eof).empty());
        BOOST_TEST(clean_eof);
    }
    for (auto& c : served) {
        send_all(c.get(), "s");
        BOOST_TEST(recv_exact(c.get(), 1) == "s");
    }
    const std::string metrics = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(sample(metrics, "echomux_accept_fd_exhaustion_total") == 0, server.process().err());
    BOOST_TEST(sample(metrics, "echomux_connections_active") == kFittingConnections);
    BOOST_TEST(sample(metrics, "echomux_connections_rejected_total") == kBacklog - 1);
}

BOOST_AUTO_TEST_CASE(silent_metrics_connections_never_stop_echo_accepting) {
    Server server = Server::with_metrics({}, ProcessOptions{{}, kFdLimit, {}});
    std::vector<Fd> silent;
    for (int i = 0; i < 200; ++i) silent.push_back(connect_to(server.metrics_port()));
    std::vector<Fd> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(connect_to(server.port()));
        set_receive_timeout(clients.back().get(), 5000);
        send_all(clients.back().get(), "hello");
        BOOST_REQUIRE_EQUAL(recv_exact(clients.back().get(), 5), "hello");
    }
    BOOST_TEST(http_get(server.metrics_port(), "/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(an_fd_limit_below_the_reserve_refuses_to_start) {
    std::vector<std::string> argv = {echomux_binary(), "--port=0", "--listen=127.0.0.1",
                                     "--metrics-listen=127.0.0.1", "--metrics-port=" + std::to_string(free_port())};
    for (auto& a : backend_args()) argv.push_back(a);
    Process process(argv, ProcessOptions{{}, 32, {}});
    const auto status = process.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 1);
    BOOST_TEST(process.err().find("open file limit 32 < 41 needed for one connection "
                                  "(metrics 16 + reserve 24 + 1): raise it (ulimit -n)") != std::string::npos,
               process.err());
}

BOOST_AUTO_TEST_SUITE_END()
