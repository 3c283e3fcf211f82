// SPDX-License-Identifier: BSL-1.0
// A SignalSource a test drives: signals it queues come out in order, wake() ends a wait,
// and every wait the supervisor starts is counted with its timeout, so a test can wait for
// "the supervisor is asleep now" (a condition, not a sleep) before it moves a ManualClock.
#pragma once

#include "echomux/server/signal_source.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace echomux::test {

class ScriptedSignals final : public SignalSource {
public:
    void send(int sig) {
        std::lock_guard lock(mutex_);
        queued_.push_back(sig);
        changed_.notify_all();
    }

    int wait(std::optional<long long> timeout_ms) override {
        std::unique_lock lock(mutex_);
        ++waits_;
        last_timeout_ = timeout_ms;
        changed_.notify_all();
        changed_.wait(lock, [this] { return woken_ || !queued_.empty(); });
        if (woken_) {
            woken_ = false;
            return 0;
        }
        const int sig = queued_.front();
        queued_.pop_front();
        return sig;
    }

    void wake() override {
        std::lock_guard lock(mutex_);
        woken_ = true;
        changed_.notify_all();
    }

    // Blocks until the supervisor has started its n-th wait (or 10 s, a failure guard);
    // returns that wait's timeout. False when it never got there.
    bool wait_for_wait(int n, std::optional<long long>& timeout_ms) {
        std::unique_lock lock(mutex_);
        const bool reached =
            changed_.wait_for(lock, std::chrono::seconds(10), [&] { return waits_ >= n && queued_.empty() && !woken_; });
        timeout_ms = last_timeout_;
        return reached && waits_ == n;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<int> queued_;
    bool woken_ = false;
    int waits_ = 0;
    std::optional<long long> last_timeout_;
};

}  // namespace echomux::test
