// SPDX-License-Identifier: BSL-1.0
// The turn every loop that waits on descriptors takes, written once (libuv's uv_run, Redis's
// aeProcessEvents): wait no longer than the nearest deadline, and not at all while calls are
// deferred; read the clock once on waking; dispatch the events, serving posted work (a
// drain) and what fell due between callbacks, so that a long turn holds no deadline back;
// then the deferred calls, the timers, and freeing what closed during the turn.
//   Again: what the loop calls back next turn with no new event coming (a fairness budget
//          ran out, reading resumed after backpressure, bytes held after a PROXY header);
//   Owned: what it frees once no callback of the turn can still touch it (a connection).
// The native and io_uring loops take this turn; the Asio loop keeps the same rules with
// its own scheduler (posted handlers are its again-list, shared_ptr its deferred free).
// The turn stamps the loop's heartbeat as it leaves its wait and as it goes back, which
// costs a clock read each (microseconds: the loop's millisecond time would sum short
// turns to nothing).
#pragma once

#include "echomux/backends/loop_heartbeat.hpp"
#include "echomux/backends/loop_queue.hpp"
#include "echomux/core/service.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace echomux {

template <class Again, class Owned>
class LoopTurn {
public:
    LoopTurn(Service& service, LoopQueue& queue) : service_(service), queue_(queue) {}

    int wait_ms() const { return again_.empty() ? service_.wait_ms() : 0; }
    void woke() {  // the clock reads of a turn that does nothing
        heartbeat_.woke(service_.now_us());
        service_.update_time();
    }
    // After each callback: an atomic load, and the clock read the next activity stamp uses.
    void between_callbacks() {
        if (queue_.pending()) queue_.run_posted();
        service_.tick();
    }
    void call_again(const Again& again) { again_.push_back(again); }
    // A closed object's calls are dropped (`none` in their place): it is freed with the turn.
    void forget(const Again& again, const Again& none) {
        std::replace(again_.begin(), again_.end(), again, none);
        std::replace(running_.begin(), running_.end(), again, none);
    }
    void free_after_turn(std::unique_ptr<Owned> owned) { closed_.push_back(std::move(owned)); }

    // The deferred calls as they stood (those they defer wait for the next turn), each
    // followed by between_callbacks(); then the timers, then the frees. The loop then waits
    // (or ends: either way it is no longer busy).
    template <class Run>
    void finish(Run run) {
        running_.swap(again_);
        for (std::size_t i = 0; i < running_.size(); ++i) {  // by index: forget() may write it
            run(running_[i]);
            between_callbacks();
        }
        running_.clear();
        service_.tick();
        closed_.clear();
        heartbeat_.wait(service_.now_us());
    }
    const LoopHeartbeat& heartbeat() const { return heartbeat_; }

private:
    Service& service_;
    LoopQueue& queue_;
    LoopHeartbeat heartbeat_;
    std::vector<Again> again_, running_;
    std::vector<std::unique_ptr<Owned>> closed_;
};

}  // namespace echomux
