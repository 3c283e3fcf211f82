// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/default_selector.hpp"

#include "echomux/backends/native/epoll_selector.hpp"
#include "echomux/backends/native/poll_selector.hpp"
#include "echomux/backends/native/select_selector.hpp"

namespace echomux::native {

std::unique_ptr<Selector> make_selector(Backend backend, EpollMode mode) {
    switch (backend) {
        case Backend::select: return std::make_unique<SelectSelector>();
        case Backend::poll: return std::make_unique<PollSelector>();
        default: return std::make_unique<EpollSelector>(mode == EpollMode::edge);
    }
}

}  // namespace echomux::native
