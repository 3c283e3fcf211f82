// SPDX-License-Identifier: BSL-1.0
// The HTTP endpoint against clients a stranger could write: oversized requests, silent or
// trickling connections, garbage, pipelining, resets. Whatever they do, the server's memory,
// descriptors and time stay bounded, they get an exact status code, and /healthz answers.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {
using Clock = std::chrono::steady_clock;

// Status code of the first HTTP response in `text`; 0 when there is none.
int status_of(const std::string& text) {
    if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12) return 0;
    return std::stoi(text.substr(9, 3));
}

// Sends `request` on a new connection and returns all the server sends until it closes.
std::string round_trip(int port, const std::string& request) {
    Fd fd = connect_to(port);
    send_all(fd.get(), request);
    return recv_until_eof(fd.get());
}

// Reads one response head (up to the blank line) without waiting for the connection to close.
std::string read_head(int fd) {
    std::string head;
    char c;
    while (head.size() < 65536 && head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
    return head;
}

int open_fds(pid_t pid) {
    int n = 0;
    DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!dir) return -1;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n;
}

// A scrape first, so the baseline includes what serving any request allocates once.
long warm_rss_kib(Server& server) {
    BOOST_REQUIRE(http_get(server.metrics_port(), "/metrics").status == 200);
    return server.process().rss_kib();
}

constexpr int kHostileClients = 200;
// Unbounded, 200 hostile clients cost 200 MiB. One bound with and without AddressSanitizer:
// the server runs measuring_memory(), without ASan's quarantine (which kept every freed
// session buffer counted, and needed a bound 4 times as loose that measured ASan, not us).
constexpr long kRssGrowthLimitKib = 4 * 1024;
}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_hostile)

BOOST_AUTO_TEST_CASE(large_bodies_get_413_with_bounded_memory_and_healthz_stays_up) {
    Server server = Server::with_metrics({}, measuring_memory());
    const int port = server.metrics_port();
    const long before = warm_rss_kib(server);
    const std::string body(1 << 20, 'x');
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::vector<Fd> held;  // every hostile client keeps its connection open to the end
    for (int i = 0; i < kHostileClients; ++i) {
        held.push_back(connect_to(port));
        send_all(held.back().get(), request);
        BOOST_REQUIRE_EQUAL(status_of(read_head(held.back().get())), 413);
        if (i % 50 == 49) BOOST_REQUIRE_EQUAL(http_get(port, "/healthz").status, 200);
    }
    const long after = server.process().rss_kib();
    BOOST_TEST_MESSAGE("RSS " << before << " KiB -> " << after << " KiB after " << kHostileClients
                              << " x 1 MiB bodies");
    BOOST_TEST(after - before < kRssGrowthLimitKib);
    const HttpReply health = http_get(port, "/healthz");
    BOOST_TEST(health.status == 200);
    BOOST_TEST(health.body == "ok\n");
}

BOOST_AUTO_TEST_CASE(huge_headers_get_431_with_bounded_memory) {
    Server server = Server::with_metrics({}, measuring_memory());
    const int port = server.metrics_port();
    const long before = warm_rss_kib(server);
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100 * 1024, 'p') + "\r\n\r\n";
    const std::string long_line = "GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\n\r\n";
    std::vector<Fd> held;
    for (int i = 0; i < kHostileClients; ++i) {
        held.push_back(connect_to(port));
        send_all(held.back().get(), i % 2 ? request : long_line);
        BOOST_REQUIRE_EQUAL(status_of(read_head(held.back().get())), 431);
    }
    const long after = server.process().rss_kib();
    BOOST_TEST_MESSAGE("RSS " << before << " KiB -> " << after << " KiB after " << kHostileClients
                              << " x 100 KiB headers");
    BOOST_TEST(after - before < kRssGrowthLimitKib);
    BOOST_TEST(http_get(port, "/healthz").status == 200);
}

// Silent connections take no session: the kernel hands a connection over only once it has
// sent something (TCP_DEFER_ACCEPT), so 200 of them cannot keep a probe out. When the kernel
// gives up waiting (after about a second) they take sessions like any connection and, at the
// cap, give way to each other: all but kCap are closed, each one counted.
BOOST_AUTO_TEST_CASE(silent_connections_take_no_session_and_give_way_at_the_cap) {
    constexpr int kCap = 16;
    Server server = Server::with_metrics({"--metrics-max-connections=" + std::to_string(kCap)});
    const int port = server.metrics_port();
    std::vector<Fd> silent;
    for (int i = 0; i < kHostileClients; ++i) silent.push_back(connect_to(port));
    const HttpReply health = http_get(port, "/healthz");
    BOOST_TEST(health.status == 200);
    BOOST_TEST(health.body == "ok\n");
    const int expected_closed = kHostileClients - kCap;
    int closed = 0;
    for (const auto deadline = Clock::now() + 10s; Clock::now() < deadline && closed < expected_closed;) {
        closed = 0;
        for (auto& fd : silent) closed += peer_closed_within(fd.get(), 0) ? 1 : 0;
        if (closed < expected_closed) std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(closed == expected_closed);
    // Operators see it: every one counted, and one more for the scrape that finds the table
    // full (and one for the probe, if the kernel had handed the silent ones over before it).
    const long long evicted = metric_sample(http_get(port, "/metrics").body, "echomux_metrics_connections_evicted_total");
    BOOST_TEST(evicted >= expected_closed + 1);
    BOOST_TEST(evicted <= expected_closed + 2);
}

// Slowloris: a header trickled a byte at a time is cut off at a fixed deadline from its
// first byte (5 s), however steadily the bytes come; a silent connection at the idle
// timeout (10 s) after the kernel hands it over (about 1 s: TCP_DEFER_ACCEPT).
BOOST_AUTO_TEST_CASE(trickling_and_silent_clients_are_cut_off_at_fixed_deadlines) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    Fd silent = connect_to(port);
    Fd trickle = connect_to(port);
    const int nodelay = 1;
    ::setsockopt(trickle.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    const auto start = Clock::now();
    const std::string header = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(1000, 's');
    std::size_t sent = 0;
    bool trickle_closed = false;
    while (!trickle_closed && Clock::now() - start < 15s) {
        if (sent < header.size() && ::send(trickle.get(), &header[sent], 1, MSG_NOSIGNAL) == 1) ++sent;
        trickle_closed = peer_closed_within(trickle.get(), 200);  // also paces the trickle
    }
    const auto trickle_cut = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    BOOST_TEST(trickle_closed);
    BOOST_TEST(sent > 10u);  // it was trickling, not silent
    BOOST_TEST(trickle_cut >= 4500);
    BOOST_TEST(trickle_cut < 7000);
    bool silent_closed = false;
    while (!silent_closed && Clock::now() - start < 20s) silent_closed = peer_closed_within(silent.get(), 100);
    const auto silent_cut = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    BOOST_TEST(silent_closed);
    BOOST_TEST(silent_cut >= 9500);
    BOOST_TEST(silent_cut < 14000);
}

BOOST_AUTO_TEST_CASE(every_request_gets_an_exact_status) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    const std::string host = "127.0.0.1:" + std::to_string(port);
    struct Case {
        std::string request;
        int status;
    };
    const std::vector<Case> cases = {
        {"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200},
        {"GET http://" + host + "/metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200},
        {"GET /healthz?probe=1 HTTP/1.0\r\n\r\n", 200},
        {"HEAD /healthz HTTP/1.0\r\n\r\n", 200},
        {"GET /nothing HTTP/1.0\r\n\r\n", 404},
        {"GET /metricsx HTTP/1.0\r\n\r\n", 404},
        {"GET http://" + host + "/other HTTP/1.0\r\n\r\n", 404},
        {"POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 405},
        {"BREW /coffee HTTP/1.1\r\nHost: a\r\n\r\n", 405},
        // The method decides, not the body (issue 26: a POST with a body got 413).
        {"POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 405},
        {"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 405},
        {"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\nhello", 405},
        {"PUT /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 405},
        {"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", 413},
        {"GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", 413},
        // RFC 9112 section 3.2: HTTP/1.1 without exactly one Host is a 400; HTTP/1.0 needs none.
        {"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
        {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n", 400},
        {"POST /healthz HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", 400},
        {"GET /metrics\r\n\r\n", 400},  // HTTP/0.9
        {"G@T /metrics HTTP/1.1\r\n\r\n", 400},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n", 400},  // a TLS hello
        {"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400},
        {"GET /metrics HTTP/1.1\r\n" + std::string(9000, 'h') + ": v\r\n\r\n", 431},
    };
    long long refused = 0;
    for (const auto& c : cases) {
        const std::string reply = round_trip(port, c.request);
        BOOST_TEST(status_of(reply) == c.status, c.request.substr(0, 60) << " -> " << reply.substr(0, 60));
        refused += c.status == 400 || c.status == 413 || c.status == 431;
    }
    BOOST_TEST(metric_sample(http_get(port, "/metrics").body, "echomux_metrics_requests_refused_total") == refused);
    const std::string head = round_trip(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
    BOOST_TEST(status_of(head) == 200);
    BOOST_TEST(head.find("Content-Length: ") != std::string::npos);
    BOOST_TEST(head.substr(head.find("\r\n\r\n") + 4).empty());  // no body after a HEAD
    for (const char* request : {"DELETE /metrics HTTP/1.0\r\n\r\n",
                                "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"}) {
        const std::string not_allowed = round_trip(port, request);
        BOOST_TEST(not_allowed.find("\r\nAllow: GET, HEAD\r\n") != std::string::npos, not_allowed);
    }
}

BOOST_AUTO_TEST_CASE(pipelined_and_byte_by_byte_requests_are_all_answered) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    constexpr int kPipelined = 100;
    std::string burst;
    for (int i = 0; i < kPipelined; ++i) burst += "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
    burst += "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const std::string replies = round_trip(port, burst);  // one send: many requests per packet
    int answered = 0;
    for (auto at = replies.find("HTTP/1.1 200 OK\r\n"); at != std::string::npos;
         at = replies.find("HTTP/1.1 200 OK\r\n", at + 1))
        ++answered;
    BOOST_TEST(answered == kPipelined + 1);

    Fd fd = connect_to(port);
    const int nodelay = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    for (char c : std::string("GET /metrics HTTP/1.0\r\nHost: a\r\n\r\n")) send_all(fd.get(), &c, 1);
    BOOST_TEST(status_of(recv_until_eof(fd.get())) == 200);
}

BOOST_AUTO_TEST_CASE(connections_that_reset_leave_no_descriptor_behind) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    const int baseline = open_fds(server.process().pid());  // no session yet
    for (int i = 0; i < 1000; ++i) {
        Fd fd = connect_to(port);
        if (i % 2) send_all(fd.get(), "GET /metr");  // half of them mid-request
        reset(fd);
    }
    int now = open_fds(server.process().pid());
    for (const auto deadline = Clock::now() + 5s; Clock::now() < deadline && now > baseline;) {
        now = open_fds(server.process().pid());
        if (now > baseline) std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(now <= baseline);  // not equal: under UBSan the baseline may hold its transient pipe
    BOOST_TEST(http_get(port, "/healthz").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
