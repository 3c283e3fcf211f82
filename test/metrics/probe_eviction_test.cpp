// SPDX-License-Identifier: BSL-1.0
// Health probes at the metrics_max_connections cap: whatever strangers do with the other
// slots (trickle headers, connect and leave, send garbage), a probe that sends its request
// promptly is answered. Issue 26: 200 slowloris connections plus churn evicted prompt probes
// (a probe that waited 3 ms to send lost its slot to every newer connection).
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace echomux::test;
using echomux::Fd;

namespace {
using Clock = std::chrono::steady_clock;

constexpr int kCap = 16;
constexpr int kSlowloris = 200;
// Under AddressSanitizer the server is several times slower and the churn keeps it saturated:
// each probe took 1.7 s beside a loaded host (200 took 339 s, past the test's timeout). 40
// still fail with near certainty where 56 % of probes did.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kProbes = 40;
#else
constexpr int kProbes = 200;
#endif
// How long a probe waits between connecting and sending: a kubelet sends at once; 3 ms is
// what failed 56 % of the time under churn in issue 26.
constexpr auto kProbeDelay = std::chrono::milliseconds(3);

const std::string kTrickle = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(4000, 's');

int status_of(const std::string& text) {
    if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12) return 0;
    return std::stoi(text.substr(9, 3));
}

// Nothing here asserts (Boost.Test is not thread-safe): it counts, and the test asserts.
struct Attack {
    std::atomic<bool> stop{false};
    std::atomic<long> slowloris_reconnects{0}, churned{0};
};

// Holds kSlowloris connections, each sending its never-ending header a byte at a time, and
// opens a new one whenever the server closes one: the pressure on the cap never lets up.
void run_slowloris(int port, Attack& attack) {
    struct Trickler {
        Fd fd;
        std::size_t sent = 0;
    };
    auto open = [port] {
        Trickler t{try_connect(port)};
        const int nodelay = 1;
        if (t.fd) ::setsockopt(t.fd.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
        return t;
    };
    std::vector<Trickler> held;
    for (int i = 0; i < kSlowloris; ++i) held.push_back(open());
    while (!attack.stop) {
        std::vector<pollfd> ready;
        for (auto& t : held) {
            if (t.fd && t.sent < kTrickle.size() && ::send(t.fd.get(), &kTrickle[t.sent], 1, MSG_NOSIGNAL) == 1) ++t.sent;
            ready.push_back({t.fd.get(), POLLIN, 0});
        }
        ::poll(ready.data(), ready.size(), 20);  // also paces the trickle: a byte per 20 ms or so
        for (std::size_t i = 0; i < held.size(); ++i) {
            if (held[i].fd && ready[i].revents == 0) continue;
            held[i] = open();  // closed by the server (or never connected): come back at once
            ++attack.slowloris_reconnects;
        }
    }
}

// Connections that come and go as fast as one thread can: half leave at once (a load
// balancer's TCP check), half send garbage and leave (a port scanner).
void run_churn(int port, Attack& attack) {
    for (long i = 0; !attack.stop; ++i) {
        Fd fd = try_connect(port);
        if (fd && i % 2) ::send(fd.get(), "\x16\x03\x01 not http\r\n\r\n", 16, MSG_NOSIGNAL);
        ++attack.churned;
    }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(probe_eviction)

BOOST_AUTO_TEST_CASE(prompt_probes_are_all_answered_through_slowloris_and_churn) {
    Server server = Server::with_metrics({"--metrics-max-connections=" + std::to_string(kCap)});
    const int port = server.metrics_port();
    Attack attack;
    std::thread slowloris(run_slowloris, port, std::ref(attack));
    std::thread churn(run_churn, port, std::ref(attack));
    // The probes start once the cap is under attack: every slowloris connection closed once.
    for (const auto deadline = Clock::now() + 10s; attack.slowloris_reconnects < kSlowloris;) {
        BOOST_REQUIRE_MESSAGE(Clock::now() < deadline, "the slowloris clients never filled the cap");
        std::this_thread::yield();
    }
    const auto start = Clock::now();
    int answered = 0;
    for (int i = 0; i < kProbes; ++i) {
        Fd probe = try_connect(port);
        std::this_thread::sleep_for(kProbeDelay);  // the probe's own behaviour, not a wait for the server
        const std::string request = "GET /readyz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";
        answered += probe && try_send_all(probe.get(), request.data(), request.size()) &&
                    status_of(recv_until_eof(probe.get())) == 200;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const long churned_before = attack.churned, reconnects_before = attack.slowloris_reconnects;
    attack.stop = true;
    slowloris.join();
    churn.join();
    const long long evicted =
        metric_sample(http_get(port, "/metrics").body, "echomux_metrics_connections_evicted_total");
    BOOST_TEST_MESSAGE(answered << "/" << kProbes << " prompt probes answered in " << seconds << " s, with "
                                << churned_before << " churn connections, " << reconnects_before
                                << " slowloris (re)connections, " << evicted << " sessions evicted");
    BOOST_TEST(answered == kProbes);
    BOOST_TEST(evicted > kProbes);  // the probes met a full table, over and over
}

BOOST_AUTO_TEST_SUITE_END()
