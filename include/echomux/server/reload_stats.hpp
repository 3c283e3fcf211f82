// SPDX-License-Identifier: BSL-1.0
// What the reloads (SIGHUP) came to, for /metrics, named as Prometheus' own reload metrics
// (prometheus_config_*): a refused reload is otherwise only a log line, and `systemctl
// reload` reports success. Written by the supervisor's thread, read by the metrics thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace echomux {

struct ReloadStats {
    std::atomic<std::uint64_t> succeeded{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<bool> last_failed{false};
    // Seconds since 1970 when the settings in use were read: the start, then each good reload.
    std::atomic<double> last_success_seconds{now()};

    void record(bool success) {
        (success ? succeeded : failed).fetch_add(1);
        last_failed = !success;
        if (success) last_success_seconds = now();
    }

private:
    static double now() {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
};

}  // namespace echomux
