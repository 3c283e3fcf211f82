// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/watchdog.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace echomux {
namespace {

// A whole positive number, all of `text`, as sd_watchdog_enabled parses it; else nullopt.
std::optional<long long> positive(const char* text) {
    if (!text || !*text) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || n <= 0) return std::nullopt;
    return n;
}

}  // namespace

Watchdog Watchdog::from_environment() {
    const auto usec = positive(std::getenv("WATCHDOG_USEC"));
    if (!usec) return Watchdog();
    if (const char* pid_text = std::getenv("WATCHDOG_PID")) {
        const auto pid = positive(pid_text);
        if (!pid || *pid != ::getpid()) return Watchdog();
    }
    return Watchdog(*usec);
}

// Half the interval, as sd_notify(3) advises, in whole milliseconds (the supervisor's wait
// takes milliseconds): rounded down, so never later than half, and at least 1 ms.
Watchdog::Watchdog(long long interval_us) : period_ms_(interval_us > 0 ? std::max(1LL, interval_us / 2000) : 0) {}

std::optional<long long> Watchdog::due_in_ms(long long now_ms) const {
    if (!on()) return std::nullopt;
    if (!next_ms_) return 0;
    return std::max(0LL, *next_ms_ - now_ms);
}

bool Watchdog::take_due(long long now_ms) {
    if (!on() || (next_ms_ && now_ms < *next_ms_)) return false;
    next_ms_ = now_ms + period_ms_;
    return true;
}

}  // namespace echomux
