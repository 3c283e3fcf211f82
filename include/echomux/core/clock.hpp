// SPDX-License-Identifier: BSL-1.0
// Where every timer of the core gets its time: passed in, so that a test can hold the
// clock still and move it by hand (ManualClock in test/support), and every deadline rule
// is checked at its exact boundary without sleeping.
#pragma once

namespace echomux {

class Clock {
public:
    virtual ~Clock() = default;
    virtual long long now_ms() const = 0;  // milliseconds on a monotonic time line
    // The same time line in microseconds, for what is measured rather than waited for (a
    // TLS handshake's duration).
    virtual long long now_us() const { return now_ms() * 1000; }
};

// CLOCK_MONOTONIC, as std::chrono::steady_clock (Asio's timers share its time line).
const Clock& monotonic_clock();

}  // namespace echomux
