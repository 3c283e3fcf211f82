// SPDX-License-Identifier: BSL-1.0
// Picks the Selector for a configured backend. Kept apart from selector.hpp (as muduo's
// DefaultPoller.cc is from Poller.h) so the interface never includes its implementations.
#pragma once

#include "echomux/core/config.hpp"
#include "echomux/backends/native/selector.hpp"

#include <memory>

namespace echomux::native {

// The mechanism for a backend (DefaultSelector is epoll, level-triggered).
std::unique_ptr<Selector> make_selector(Backend backend, EpollMode mode);

}  // namespace echomux::native
