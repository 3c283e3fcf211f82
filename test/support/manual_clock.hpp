// SPDX-License-Identifier: BSL-1.0
// A clock that moves only when the test says so: timer rules checked at their exact
// boundaries, no sleeps.
#pragma once

#include "echomux/core/clock.hpp"

namespace echomux::test {

class ManualClock final : public Clock {
public:
    explicit ManualClock(long long start_ms = 1'000'000) : now_(start_ms) {}
    long long now_ms() const override { return now_; }
    void advance(long long ms) { now_ += ms; }

private:
    long long now_;
};

}  // namespace echomux::test
