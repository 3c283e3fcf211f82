// SPDX-License-Identifier: BSL-1.0
// The timing faults' arithmetic (core/pacing.hpp) at exact boundaries, on times the test
// chooses: delay, jitter and bandwidth, with no clock and no socket.
#include "echomux/core/pacing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>

using echomux::Pacing;

namespace {
constexpr long long t0 = 1'000'000;
std::mt19937_64 random_source(7);
}  // namespace

BOOST_AUTO_TEST_SUITE(pacing)

BOOST_AUTO_TEST_CASE(a_delayed_byte_goes_exactly_at_arrival_plus_the_delay) {
    Pacing p(200, 0, 0, t0);
    p.queued(10, t0, random_source);
    BOOST_TEST(p.sendable(t0) == 0u);
    BOOST_TEST(p.sendable(t0 + 199) == 0u);
    BOOST_TEST(*p.next_ms(t0) == t0 + 200);
    BOOST_TEST(p.sendable(t0 + 200) == 10u);
    BOOST_TEST(!p.next_ms(t0 + 200));  // something may go now: no timer
    p.sent(10, t0 + 200);
    BOOST_TEST(!p.next_ms(t0 + 200));  // nothing waits
}

BOOST_AUTO_TEST_CASE(later_bytes_wait_their_own_delay_behind_earlier_ones) {
    Pacing p(100, 0, 0, t0);
    p.queued(3, t0, random_source);
    p.queued(4, t0 + 30, random_source);
    BOOST_TEST(p.sendable(t0 + 100) == 3u);
    p.sent(3, t0 + 100);
    BOOST_TEST(*p.next_ms(t0 + 100) == t0 + 130);
    BOOST_TEST(p.sendable(t0 + 129) == 0u);
    BOOST_TEST(p.sendable(t0 + 130) == 4u);
}

BOOST_AUTO_TEST_CASE(the_greeting_is_not_delayed_and_echo_waits_behind_it) {
    Pacing p(50, 0, 0, t0);
    p.queued_now(6);
    p.queued(2, t0, random_source);
    BOOST_TEST(p.sendable(t0) == 6u);
    p.sent(6, t0);
    BOOST_TEST(p.sendable(t0 + 49) == 0u);
    BOOST_TEST(p.sendable(t0 + 50) == 2u);
}

// Every byte waits delay ± jitter, never less than delay - jitter, and never overtakes an
// earlier one; thousands of one-byte arrivals keep that (marks merge, bytes only wait longer).
BOOST_AUTO_TEST_CASE(jitter_keeps_order_and_never_goes_under_delay_minus_jitter) {
    Pacing p(100, 40, 0, t0);
    std::deque<long long> arrivals;  // one byte each
    long long now = t0;
    std::size_t released = 0;
    long long shortest = 1'000'000, longest = 0;
    for (int step = 0; step < 20'000; ++step, ++now) {
        if (step < 5'000) {
            p.queued(1, now, random_source);
            arrivals.push_back(now);
        }
        const std::size_t n = p.sendable(now);
        for (std::size_t i = 0; i < n; ++i) {
            shortest = std::min(shortest, now - arrivals.front());
            longest = std::max(longest, now - arrivals.front());
            arrivals.pop_front();
        }
        p.sent(n, now);
        released += n;
    }
    BOOST_TEST(released == 5'000u);
    BOOST_TEST(shortest >= 60);
    BOOST_TEST(longest >= 135);  // the jitter is there
    BOOST_TEST(longest <= 141);  // and a merge under load delays by a few ms at most
}

// 1 MiB at 100 KiB/s: 10.24 s, and no 100 ms window carries more than 10 % over the rate.
BOOST_AUTO_TEST_CASE(bandwidth_paces_every_100ms_window_to_the_rate) {
    const std::uint64_t rate = 100 * 1024;
    Pacing p(0, 0, rate, t0);
    const std::size_t total = 1 << 20;
    p.queued(total, t0, random_source);
    std::vector<std::size_t> per_ms;
    long long now = t0;
    std::size_t sent = 0;
    int wakes = 0;
    while (sent < total && now < t0 + 20'000) {
        const std::size_t n = p.sendable(now);
        p.sent(n, now);
        sent += n;
        per_ms.resize(static_cast<std::size_t>(now - t0) + 1);
        per_ms[static_cast<std::size_t>(now - t0)] += n;
        const auto next = p.next_ms(now);
        if (!next) continue;
        BOOST_REQUIRE(*next > now);
        now = *next;
        ++wakes;
    }
    BOOST_TEST(sent == total);
    const long long took = now - t0;
    BOOST_TEST(took >= 10'150);
    BOOST_TEST(took <= 10'250);
    BOOST_TEST(wakes < 2200);  // about one wake per 5 ms (half a burst), not one per byte
    std::size_t window = 0, most = 0;
    for (std::size_t i = 0; i < per_ms.size(); ++i) {
        window += per_ms[i];
        if (i >= 100) window -= per_ms[i - 100];
        most = std::max(most, window);
    }
    BOOST_TEST(most <= rate / 10 + rate / 100 + 1);
}

BOOST_AUTO_TEST_CASE(a_low_rate_still_sends_a_byte_at_a_time) {
    Pacing p(0, 0, 10, t0);  // 10 bytes per second
    p.queued(3, t0, random_source);
    BOOST_TEST(p.sendable(t0) == 1u);
    p.sent(1, t0);
    BOOST_TEST(*p.next_ms(t0) == t0 + 100);
    BOOST_TEST(p.sendable(t0 + 99) == 0u);
    BOOST_TEST(p.sendable(t0 + 100) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
