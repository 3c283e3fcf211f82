// SPDX-License-Identifier: BSL-1.0
// WatchdogSec=: with WATCHDOG_USEC set, echomux sends WATCHDOG=1 every half interval while
// each event loop turns, and stops while one is wedged (the server's test hook,
// ECHOMUX_TEST_WEDGE_LOOP), so systemd would restart it; once the loop turns, it goes on.
// Without the variables, or with WATCHDOG_PID naming another process, nothing is sent.
#include "notify_receiver.hpp"
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

using namespace echomux;
using namespace echomux::test;
using Clock = std::chrono::steady_clock;

namespace {

// Waits for `count` WATCHDOG=1 messages, at most `within`; returns how long it took, or
// nullopt if they did not all come (anything else heard fails the test).
std::optional<double> seconds_for(NotifyReceiver& manager, int count, std::chrono::milliseconds within) {
    const auto start = Clock::now(), end = start + within;
    for (int n = 0; n < count; ++n) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        if (left <= 0ms) return std::nullopt;
        const Notification got = manager.next(left);
        if (got.text.empty()) return std::nullopt;
        BOOST_TEST(got.text == "WATCHDOG=1");
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// WATCHDOG=1 messages heard within `window` (anything else fails the test).
int watchdog_messages(NotifyReceiver& manager, std::chrono::milliseconds window) {
    const auto end = Clock::now() + window;
    int n = 0;
    for (auto left = window; left > 0ms;
         left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now())) {
        const Notification got = manager.next(left);
        if (got.text.empty()) break;
        BOOST_TEST(got.text == "WATCHDOG=1");
        ++n;
    }
    return n;
}

// The first message, READY=1, is said once the server listens: what follows is the watchdog.
void expect_ready(NotifyReceiver& manager, const Server& server) {
    const Notification ready = manager.next();
    BOOST_REQUIRE(ready.text == "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(server.port()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(watchdog)

BOOST_AUTO_TEST_CASE(the_watchdog_is_fed_while_every_loop_turns_and_starved_while_one_is_wedged) {
    NotifyReceiver manager(false);
    ProcessOptions options;
    options.env["NOTIFY_SOCKET"] = manager.name();
    options.env["WATCHDOG_USEC"] = "200000";  // WatchdogSec=200ms: a message every 100 ms
    options.env["ECHOMUX_TEST_WEDGE_LOOP"] = "4";
    Server server = Server::with_metrics({"--liveness-timeout=1s", "--threads=2"}, options);
    expect_ready(manager, server);
    // Healthy: one every 100 ms. A host loaded far past its cores delays the supervisor's
    // thread (seen: gaps of 400 ms at load 15 on 2 cores), so wait for 5 with a generous
    // deadline; never faster than the schedule.
    const auto healthy = seconds_for(manager, 5, 5000ms);
    BOOST_REQUIRE_MESSAGE(healthy, "fewer than 5 WATCHDOG=1 in 5 s while healthy");
    BOOST_TEST(*healthy >= 0.35, *healthy);  // the 2nd to the 5th come 100 ms apart, at least

    Fd client = connect_to(server.port());  // its loop blocks for 4 s
    const auto connected = Clock::now();
    // Wedged from 1 s on: /livez says so, and from then on the watchdog hears nothing
    // (at most one message decided just before, still in flight).
    const auto deadline = Clock::now() + 2500ms;
    HttpReply live = http_get(server.metrics_port(), "/livez");
    while (live.status == 200 && Clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);  // pacing the probes, not waiting for an event
        live = http_get(server.metrics_port(), "/livez");
    }
    BOOST_REQUIRE_MESSAGE(live.status == 503, live.body);
    while (!manager.next(0ms).text.empty()) {  // what was sent before: not counted
    }
    // Counted up to 1 s, and only while the loop is surely still blocked.
    const auto window = std::min<Clock::duration>(1000ms, connected + 3800ms - Clock::now());
    BOOST_REQUIRE_MESSAGE(window >= 300ms, "the host is too slow to watch the wedge");
    BOOST_TEST(watchdog_messages(manager, std::chrono::duration_cast<std::chrono::milliseconds>(window)) <= 1);
    BOOST_TEST(server.process().wait_for_err("not feeding the systemd watchdog", 2s));

    // The loop turns again at 4 s: the messages resume.
    send_all(client.get(), "back\n");
    BOOST_TEST(recv_exact(client.get(), 5) == "back\n");
    BOOST_TEST(seconds_for(manager, 3, 5000ms).has_value(), "fewer than 3 WATCHDOG=1 in 5 s once live again");
    BOOST_TEST(server.process().wait_for_err("every event loop turns again: feeding the systemd watchdog", 2s));
}

BOOST_AUTO_TEST_CASE(without_watchdog_usec_or_for_another_pid_nothing_is_sent) {
    for (const char* pid : {static_cast<const char*>(nullptr), "1"}) {
        NotifyReceiver manager(false);
        ProcessOptions options;
        options.env["NOTIFY_SOCKET"] = manager.name();
        if (pid) {  // systemd's variables, but for PID 1: not ours
            options.env["WATCHDOG_USEC"] = "200000";
            options.env["WATCHDOG_PID"] = pid;
        }
        Server server({}, options);
        expect_ready(manager, server);
        BOOST_TEST(manager.next(700ms).text == "", (pid ? "WATCHDOG_PID=1" : "no WATCHDOG_USEC"));
        BOOST_TEST(server.stop() == 0);
    }
}

BOOST_AUTO_TEST_SUITE_END()
