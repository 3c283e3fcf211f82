// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/loop_requests.hpp"

#include "echomux/core/service.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace echomux {

LoopRequests::LoopRequests() : wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

void LoopRequests::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_.get(), &one, sizeof one);
}

void LoopRequests::request_drain() {
    drain_ = true;
    wake();
}

void LoopRequests::request_reconfigure(const Config& next) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        next_ = next;
    }
    wake();
}

void LoopRequests::apply(Service& service) {
    std::uint64_t count;
    [[maybe_unused]] const auto n = ::read(wake_.get(), &count, sizeof count);
    std::optional<Config> next;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        next.swap(next_);
    }
    if (next) service.reconfigure(*next);
    if (drain_requested()) service.begin_drain();
}

}  // namespace echomux
