// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/event_loop_factory.hpp"

#include "echomux/backends/asio/asio_loop.hpp"
#include "echomux/backends/native/default_selector.hpp"
#include "echomux/backends/native/native_loop.hpp"
#include "echomux/backends/uring/uring_loop.hpp"

#include <stdexcept>

namespace echomux {

std::unique_ptr<EventLoop> make_event_loop(SharedState& shared, Fd listener, Fd udp) {
    const Config& c = shared.config;
    switch (c.backend) {
        case Backend::asio:
            return std::make_unique<asio::AsioLoop>(shared, std::move(listener), std::move(udp));
        case Backend::epoll:
        case Backend::poll:
        case Backend::select:
            return std::make_unique<native::NativeLoop>(shared, std::move(listener), std::move(udp),
                                                        native::make_selector(c.backend, c.epoll_mode));
        case Backend::io_uring:
            return std::make_unique<uring::UringLoop>(shared, std::move(listener), std::move(udp));
    }
    throw std::logic_error("unknown backend");
}

}  // namespace echomux
