// SPDX-License-Identifier: BSL-1.0
// What other threads ask of a loop that waits on file descriptors (the signal thread: drain
// at SIGTERM, new settings at SIGHUP). They leave the request here and write an eventfd the
// loop watches; the loop applies it in its own thread when that fd is readable. Shared by
// the native and io_uring loops; the Asio loop posts to its io_context instead.
#pragma once

#include "echomux/core/config.hpp"
#include "echomux/util/fd.hpp"

#include <atomic>
#include <mutex>
#include <optional>

namespace echomux {

class Service;

class LoopRequests {
public:
    LoopRequests();  // throws std::system_error when no eventfd can be made

    int fd() const { return wake_.get(); }
    void request_drain();                          // any thread
    void request_reconfigure(const Config& next);  // any thread
    // One atomic load: cheap enough to check between callbacks, so that a long round of
    // them does not hold a drain back.
    bool drain_requested() const { return drain_.load(std::memory_order_relaxed); }
    // In the loop's thread, when fd() is readable: new settings first, then the drain.
    void apply(Service& service);

private:
    void wake();

    Fd wake_;
    std::atomic<bool> drain_{false};
    std::mutex mutex_;  // guards next_, set by another thread
    std::optional<Config> next_;
};

}  // namespace echomux
