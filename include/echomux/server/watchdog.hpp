// SPDX-License-Identifier: BSL-1.0
// systemd's watchdog (WatchdogSec=): when the service manager asks for it, through
// WATCHDOG_USEC and WATCHDOG_PID as sd_watchdog_enabled(3) reads them, a WATCHDOG=1
// message every half interval, as sd_notify(3) advises. Only the schedule lives here: the
// supervisor sends each due message only while every event loop turns (LoopWatch), so a
// wedged loop starves the watchdog and systemd restarts the service.
#pragma once

#include <optional>

namespace echomux {

class Watchdog {
public:
    // On when WATCHDOG_USEC is a positive number of microseconds and WATCHDOG_PID is unset
    // or this process's pid (a variable inherited from a parent names someone else); else off.
    static Watchdog from_environment();
    // Every interval_us / 2 from the start; 0: off.
    explicit Watchdog(long long interval_us = 0);

    bool on() const { return period_ms_ > 0; }
    long long period_ms() const { return period_ms_; }
    // Milliseconds from now_ms until the next message is due (0: now); nullopt when off.
    std::optional<long long> due_in_ms(long long now_ms) const;
    // True when a message is due at now_ms; the next is then due a period later, whether
    // or not this one was sent.
    bool take_due(long long now_ms);

private:
    long long period_ms_ = 0;
    std::optional<long long> next_ms_;  // none yet: due at once
};

}  // namespace echomux
