// SPDX-License-Identifier: BSL-1.0
// The load loops' clocks and waits (declared in load_loop.hpp).
#include "load_loop.hpp"

#include <sys/epoll.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>

namespace echomux::bench {

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

double thread_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int wait_for_events(int epoll, std::vector<epoll_event>& events, std::uint64_t wait_ns) {
    // epoll_pwait2 (Linux 5.11) waits to the nanosecond, which a --rate schedule needs; on
    // an older kernel, epoll_wait's milliseconds, rounded up so the loop never spins.
    static std::atomic<bool> precise{true};
    const int size = static_cast<int>(events.size());
    if (precise.load(std::memory_order_relaxed)) {
        const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
        const int n = ::epoll_pwait2(epoll, events.data(), size, &timeout, nullptr);
        if (n >= 0 || errno != ENOSYS) return n;
        precise.store(false);
    }
    return ::epoll_wait(epoll, events.data(), size, static_cast<int>((wait_ns + 999'999) / 1'000'000));
}

}  // namespace echomux::bench
