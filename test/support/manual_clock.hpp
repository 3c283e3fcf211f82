// SPDX-License-Identifier: BSL-1.0
// A clock that moves only when the test says so: timer rules checked at their exact
// boundaries, no sleeps. It keeps microseconds, for what is measured (a duration) as well
// as what is waited for.
#pragma once

#include "echomux/core/clock.hpp"

namespace echomux::test {

class ManualClock final : public Clock {
public:
    explicit ManualClock(long long start_ms = 1'000'000) : now_us_(start_ms * 1000) {}
    long long now_ms() const override { return now_us_ / 1000; }
    long long now_us() const override { return now_us_; }
    void advance(long long ms) { now_us_ += ms * 1000; }
    void advance_us(long long us) { now_us_ += us; }

private:
    long long now_us_;
};

}  // namespace echomux::test
