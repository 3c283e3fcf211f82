// SPDX-License-Identifier: BSL-1.0
// The systemd watchdog's schedule: on only as sd_watchdog_enabled(3) reads the environment,
// then a message every half interval.
#include "echomux/server/watchdog.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string>

using echomux::Watchdog;

namespace {
// Sets (or, for nullptr, unsets) the two variables for one case.
Watchdog from(const char* usec, const char* pid) {
    usec ? ::setenv("WATCHDOG_USEC", usec, 1) : ::unsetenv("WATCHDOG_USEC");
    pid ? ::setenv("WATCHDOG_PID", pid, 1) : ::unsetenv("WATCHDOG_PID");
    const Watchdog w = Watchdog::from_environment();
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    return w;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(watchdog_schedule)

BOOST_AUTO_TEST_CASE(the_watchdog_is_on_only_when_the_environment_asks_this_process) {
    const std::string ours = std::to_string(::getpid());
    BOOST_TEST(!from(nullptr, nullptr).on());
    BOOST_TEST(from("20000000", nullptr).period_ms() == 10000);  // no WATCHDOG_PID: ours
    BOOST_TEST(from("20000000", ours.c_str()).period_ms() == 10000);
    BOOST_TEST(!from("20000000", "1").on());  // meant for another process
    BOOST_TEST(!from("20000000", "x").on());
    BOOST_TEST(!from("0", nullptr).on());
    BOOST_TEST(!from("-5", nullptr).on());
    BOOST_TEST(!from("20s", nullptr).on());
    BOOST_TEST(!from("", nullptr).on());
    BOOST_TEST(from("1", nullptr).period_ms() == 1);  // never 0: that would spin
}

BOOST_AUTO_TEST_CASE(a_message_is_due_at_once_then_every_half_interval) {
    Watchdog w(200000);  // WatchdogSec=200ms
    BOOST_TEST(w.due_in_ms(5000).value() == 0);
    BOOST_TEST(w.take_due(5000));
    BOOST_TEST(!w.take_due(5000));
    BOOST_TEST(w.due_in_ms(5040).value() == 60);
    BOOST_TEST(!w.take_due(5099));
    BOOST_TEST(w.take_due(5100));
    BOOST_TEST(w.due_in_ms(5100).value() == 100);
    BOOST_TEST(w.take_due(5350));  // late (the supervisor was busy): the next counts from now
    BOOST_TEST(w.due_in_ms(5350).value() == 100);

    Watchdog off;
    BOOST_TEST(!off.due_in_ms(0).has_value());
    BOOST_TEST(!off.take_due(0));
}

BOOST_AUTO_TEST_SUITE_END()
