// SPDX-License-Identifier: BSL-1.0
// When an event loop last showed that it turns, and how long it has worked in all (libuv's
// idle time, seen from the other side). The loop's thread writes it; any thread reads it:
// /livez, /metrics and the systemd watchdog. Atomics only, no lock, so a wedged loop
// never holds up whoever asks about it.
//
// A loop that waits on descriptors (LoopTurn) stamps woke() as it leaves its wait and
// wait() as it goes back: while it waits it is healthy however long nothing happens, and
// once out of its wait for longer than a bound it is wedged. A loop that cannot see its own
// wait (Asio's scheduler) stamps woke() from a periodic handler and never ended(): it is
// then "out of its wait" since its last beat, which stays under the beat's period while
// handlers keep running.
#pragma once

#include <atomic>

namespace echomux {

class LoopHeartbeat {
public:
    // Times in microseconds on the monotonic time line (Clock::now_us()).
    void woke(long long now_us) { busy_since_us_.store(now_us, std::memory_order_relaxed); }
    void wait(long long now_us) {
        const long long since = busy_since_us_.load(std::memory_order_relaxed);
        if (since != kWaiting && now_us > since) add_busy(now_us - since);
        busy_since_us_.store(kWaiting, std::memory_order_relaxed);
    }
    // The loop ended, or will not turn again: no longer counted as out of its wait.
    void ended() { busy_since_us_.store(kWaiting, std::memory_order_relaxed); }
    // Busy time measured another way (the Asio loop's CPU time); the loop's thread only.
    void add_busy(long long us) {
        busy_us_.store(busy_us_.load(std::memory_order_relaxed) + us, std::memory_order_relaxed);
    }

    // How long the loop has been out of its wait at `now_us`; 0 while it waits.
    long long stalled_us(long long now_us) const {
        const long long since = busy_since_us_.load(std::memory_order_relaxed);
        return since == kWaiting || now_us < since ? 0 : now_us - since;
    }
    // Finished turns only, so the counter never goes back: a turn still running (a wedged
    // one) shows when it ends, and in stalled_us() meanwhile.
    long long busy_us() const { return busy_us_.load(std::memory_order_relaxed); }

private:
    static constexpr long long kWaiting = -1;
    std::atomic<long long> busy_since_us_{kWaiting};
    std::atomic<long long> busy_us_{0};
};

}  // namespace echomux
