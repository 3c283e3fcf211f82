// SPDX-License-Identifier: BSL-1.0
// Work other threads hand a loop that waits on file descriptors (muduo's queueInLoop,
// libuv's uv_async): the signal thread's drain at SIGTERM, new settings at SIGHUP. They post
// a function here and write an eventfd the loop watches; the loop runs what was posted in
// its own thread, in order. The native and io_uring loops use it; the Asio loop posts to its
// io_context instead.
#pragma once

#include "echomux/util/fd.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace echomux {

class LoopQueue {
public:
    LoopQueue();  // throws std::system_error when no eventfd can be made

    int fd() const { return wake_.get(); }
    void post(std::function<void()> work);  // any thread
    // One atomic load: cheap enough to check between callbacks, so that a long round of
    // them does not hold a drain back.
    bool pending() const { return pending_.load(std::memory_order_acquire); }
    // In the loop's thread: when fd() is readable, or between callbacks when pending().
    void run_posted();

private:
    Fd wake_;
    std::atomic<bool> pending_{false};
    std::mutex mutex_;  // guards posted_
    std::vector<std::function<void()>> posted_;
};

}  // namespace echomux
