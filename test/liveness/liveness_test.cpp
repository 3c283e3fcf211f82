// SPDX-License-Identifier: BSL-1.0
// A loop that does not come back to its wait is wedged: /livez and /healthz say 503 naming
// it, and say 200 again once it turns. A loop that waits with nothing to do is live however
// long it waits. The wedge is the server's test hook (ECHOMUX_TEST_WEDGE_LOOP: the first loop
// to take a connection blocks in its callback, once). No sleep waits for anything: each wait
// polls against a deadline.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>

using namespace echomux;
using namespace echomux::test;
using Clock = std::chrono::steady_clock;

namespace {

std::string backend() {
    const char* name = std::getenv("ECHOMUX_TEST_BACKEND");
    return name ? name : "asio";
}

// echomux_loop_busy_seconds_total of one loop of the main listener; -1 when the page has none.
double busy_seconds(const std::string& page, unsigned loop) {
    const std::regex sample("\\nechomux_loop_busy_seconds_total\\{listener=\"main\",loop=\"" + std::to_string(loop) +
                            "\"\\} ([-0-9.e+]+)\\n");
    std::smatch m;
    return std::regex_search(page, m, sample) ? std::stod(m[1]) : -1;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Asks `path` every 20 ms until its status is not `status`, or `within` has passed.
HttpReply poll_while(int port, const std::string& path, int status, std::chrono::milliseconds within) {
    const auto deadline = Clock::now() + within;
    HttpReply reply = http_get(port, path);
    while (reply.status == status && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);  // pacing the probes, not waiting for an event
        reply = http_get(port, path);
    }
    return reply;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(liveness)

// No traffic for 3 times the bound: the loops sit in their waits, which is health, and their
// busy time does not grow. Both loops of threads = 2 have a series. (A bound of 1 s, not
// less: Asio's beat, a quarter of it, must come in time even on a host loaded far past its
// cores, where a waking thread was seen to wait 400 ms for a CPU.)
BOOST_AUTO_TEST_CASE(an_idle_server_stays_live_for_many_times_the_bound) {
    Server server = Server::with_metrics({"--liveness-timeout=1s", "--threads=2"});
    const int port = server.metrics_port();
    const std::string before = http_get(port, "/metrics").body;
    const double busy_before = busy_seconds(before, 0) + busy_seconds(before, 1);
    BOOST_REQUIRE(busy_seconds(before, 0) >= 0);
    BOOST_REQUIRE(busy_seconds(before, 1) >= 0);
    BOOST_TEST(busy_seconds(before, 2) == -1);

    const auto start = Clock::now();
    int probes = 0;
    while (seconds_since(start) < 3.0 || probes < 5) {
        const HttpReply live = http_get(port, "/livez");
        BOOST_REQUIRE_MESSAGE(live.status == 200, "after " << seconds_since(start) << " s idle: " << live.body);
        BOOST_REQUIRE(live.body == "ok\n");
        ++probes;
        std::this_thread::sleep_for(50ms);  // pacing the probes over the idle time
    }
    BOOST_TEST(http_get(port, "/healthz").status == 200);
    const std::string after = http_get(port, "/metrics").body;
    const double idle_busy = busy_seconds(after, 0) + busy_seconds(after, 1) - busy_before;
    // Native and io_uring loops do not wake at all; Asio's beat costs microseconds a time.
    BOOST_TEST(idle_busy >= 0);
    BOOST_TEST(idle_busy < 0.02);
}

BOOST_AUTO_TEST_CASE(a_wedged_loop_fails_livez_and_healthz_naming_it_until_it_turns_again) {
    ProcessOptions options;
    options.env["ECHOMUX_TEST_WEDGE_LOOP"] = "4";
    Server server = Server::with_metrics({"--liveness-timeout=1s", "--threads=2"}, options);
    const int port = server.metrics_port();
    BOOST_REQUIRE(http_get(port, "/livez").status == 200);

    Fd client = connect_to(server.port());  // the loop that takes it blocks for 4 s
    const auto connected = Clock::now();
    const HttpReply live = poll_while(port, "/livez", 200, 3000ms);
    BOOST_REQUIRE_MESSAGE(live.status == 503, "/livez said " << live.status << " " << live.body);
    const std::regex named("loop main/([01]) \\(" + backend() + "\\) has not turned for ([0-9.]+) s\n");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(live.body, m, named), live.body);
    const double stalled = std::stod(m[2]);
    BOOST_TEST(stalled >= 1.0);
    BOOST_TEST(stalled <= seconds_since(connected) + 0.05);

    // Readiness fails too (its clients would hang), with the same reason.
    const HttpReply ready = http_get(port, "/healthz");
    BOOST_TEST(ready.status == 503);
    BOOST_TEST(std::regex_match(ready.body, named), ready.body);
    // The container's probe in its live mode.
    const Run probe = run_to_end({echomux_binary(), "--metrics-listen=127.0.0.1",
                                  "--metrics-port=" + std::to_string(port), "--healthcheck=live"});
    BOOST_TEST(probe.status == 1);
    const std::string head = "unhealthy: GET http://127.0.0.1:" + std::to_string(port) +
                             "/livez: 503 Service Unavailable (loop main/" + std::string(m[1]) + " (" + backend() +
                             ") has not turned for ";
    BOOST_TEST(probe.out.rfind(head, 0) == 0, probe.out);

    // Once it turns again, its client is served and every probe is 200 again.
    send_all(client.get(), "after the wedge\n");
    BOOST_TEST(recv_exact(client.get(), 16) == "after the wedge\n");
    BOOST_TEST(seconds_since(connected) >= 3.9);
    const HttpReply again = poll_while(port, "/livez", 503, 2000ms);
    BOOST_TEST(again.status == 200);
    BOOST_TEST(again.body == "ok\n");
    BOOST_TEST(http_get(port, "/healthz").status == 200);
    BOOST_TEST(run_to_end({echomux_binary(), "--metrics-listen=127.0.0.1", "--metrics-port=" + std::to_string(port),
                           "--healthcheck=live"})
                   .status == 0);
    BOOST_TEST(server.process().wait_for_err("ECHOMUX_TEST_WEDGE_LOOP: blocking this event loop for 4000 ms", 1s));
    BOOST_TEST(server.stop() == 0);
}

// 16 MiB echoed in 16 KiB round trips on one loop: its busy time grows by at least the
// moments it worked, and by no more than the wall-clock time that passed (one loop cannot
// be more than saturated).
BOOST_AUTO_TEST_CASE(busy_time_grows_with_load_and_never_faster_than_the_clock) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    const double before = busy_seconds(http_get(port, "/metrics").body, 0);
    BOOST_REQUIRE(before >= 0);
    const auto start = Clock::now();

    Fd client = connect_to(server.port());
    const std::string chunk(16 * 1024, 'b');
    for (int i = 0; i < 1024; ++i) {
        send_all(client.get(), chunk);
        BOOST_REQUIRE(recv_exact(client.get(), chunk.size()) == chunk);
    }
    client.reset();

    // The Asio loop adds its CPU time at each beat (every second): poll, within a bound.
    // 1024 round trips of 32 KiB through the kernel: the readiness loops make each recv and
    // send out of their wait (several ms in all). io_uring's loop submits them with its wait,
    // in one io_uring_enter, so it is out of its wait only to look at completions (0.4 ms
    // in all here): a lower bound for it that still says it worked.
    const double least = backend() == "io_uring" ? 0.0001 : 0.005;
    double busy = before;
    const auto deadline = Clock::now() + 3s;
    while (busy - before < least && Clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);  // pacing the scrapes
        busy = busy_seconds(http_get(port, "/metrics").body, 0);
    }
    const double elapsed = seconds_since(start);
    BOOST_TEST(busy - before >= least, "busy " << busy - before << " s");
    BOOST_TEST(busy - before <= elapsed + 0.05, "busy " << busy - before << " s in " << elapsed << " s");
}

BOOST_AUTO_TEST_SUITE_END()
