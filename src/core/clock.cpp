// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/clock.hpp"

#include <time.h>

namespace echomux {
namespace {
class MonotonicClock final : public Clock {
public:
    long long now_ms() const override { return now_us() / 1000; }
    long long now_us() const override {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);  // not _COARSE: its 4 ms steps would show in every deadline
        return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
    }
};
}  // namespace

const Clock& monotonic_clock() {
    static const MonotonicClock clock;
    return clock;
}

}  // namespace echomux
