// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/test_wedge.hpp"

#include "echomux/util/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace echomux {
namespace {

// Read once, by whichever loop takes the first connection: the environment does not change.
long long wedge_ms() {
    static const long long ms = [] {
        const char* text = std::getenv(kTestWedgeVariable);
        if (!text) return 0LL;
        char* end = nullptr;
        const double seconds = std::strtod(text, &end);
        if (end == text || *end != '\0' || !(seconds > 0) || seconds > 3600) return 0LL;
        return static_cast<long long>(seconds * 1000);
    }();
    return ms;
}

std::atomic<bool> wedged{false};

}  // namespace

void wedge_if_testing() {
    if (wedged.load(std::memory_order_relaxed) || wedge_ms() == 0 || wedged.exchange(true)) return;
    log::warn(kTestWedgeVariable, ": blocking this event loop for ", wedge_ms(),
              " ms (a test hook; never set it in service)");
    std::this_thread::sleep_for(std::chrono::milliseconds(wedge_ms()));
}

}  // namespace echomux
