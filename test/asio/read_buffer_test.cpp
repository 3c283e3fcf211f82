// SPDX-License-Identifier: BSL-1.0
// Receiving connections borrow a read buffer (async_read_some needs one while it waits);
// idle ones must give it back, or 10,000 idle clients would pin 10,000 buffers.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <chrono>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {
struct Lent {
    long long lent = -1, returned = -1;
    long long held() const { return lent - returned; }
};

Lent read_buffers(int metrics_port) {
    const std::string page = http_get(metrics_port, "/metrics").body;
    return {metric_sample(page, "echomux_read_buffers_lent_total"),
            metric_sample(page, "echomux_read_buffers_returned_total")};
}
}  // namespace

BOOST_AUTO_TEST_CASE(idle_connections_hold_no_read_buffer_after_the_grace_period) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);

    Server server = Server::with_metrics();
    constexpr int kClients = 2000;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connect_to(server.port()));
    // One exchange each: every connection has received, so each asks for a buffer.
    for (int i = 0; i < kClients; ++i) send_all(clients[i].get(), "hello " + std::to_string(i));
    int echoed = 0;
    for (int i = 0; i < kClients; ++i) {
        const std::string expected = "hello " + std::to_string(i);
        echoed += recv_exact(clients[i].get(), expected.size()) == expected;
    }
    BOOST_TEST(echoed == kClients);
    const Lent busy = read_buffers(server.metrics_port());
    BOOST_TEST(busy.held() > 0);  // buffers were lent, so giving them back is tested

    // The grace period is 1 s; a connection idle from one sweep to the next gives its buffer
    // back, so all are back after 2 s. Polled, with a bound: kept buffers fail here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    Lent idle = read_buffers(server.metrics_port());
    while (idle.held() != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling interval, not a sync
        idle = read_buffers(server.metrics_port());
    }
    BOOST_TEST(idle.held() == 0);
    BOOST_TEST(idle.lent >= busy.lent);

    // Buffer-less, they still echo, and borrow again.
    for (int i = 0; i < kClients; i += 97) {
        const std::string text = "again " + std::to_string(i);
        send_all(clients[i].get(), text);
        BOOST_TEST(recv_exact(clients[i].get(), text.size()) == text);
    }
    BOOST_TEST(read_buffers(server.metrics_port()).lent > idle.lent);
    clients.clear();
    BOOST_TEST(server.stop() == 0);
}
