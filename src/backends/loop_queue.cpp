// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/loop_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace echomux {

LoopQueue::LoopQueue() : wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

void LoopQueue::post(std::function<void()> work) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        posted_.push_back(std::move(work));
        pending_.store(true, std::memory_order_release);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_.get(), &one, sizeof one);
}

void LoopQueue::run_posted() {
    std::uint64_t count;
    [[maybe_unused]] const auto n = ::read(wake_.get(), &count, sizeof count);
    std::vector<std::function<void()>> running;  // rare (signals): a vector of its own each time
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        running.swap(posted_);
        pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& work : running) work();
}

}  // namespace echomux
