// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/event_loop_factory.hpp"

#include "echomux/backends/asio/asio_loop.hpp"
#include "echomux/backends/native/default_selector.hpp"
#include "echomux/backends/native/native_loop.hpp"
#include "echomux/backends/uring/ring.hpp"
#include "echomux/backends/uring/uring_loop.hpp"
#include "echomux/util/log.hpp"

#include <stdexcept>

namespace echomux {
namespace {

// unavailable_reason() words its line for backend = io_uring ("backend = io_uring: WHY; use
// backend = epoll"); auto's line needs only the WHY.
std::string bare_reason(std::string line) {
    const std::string head = "backend = io_uring: ", tail = "; use backend = epoll";
    if (line.rfind(head, 0) == 0) line.erase(0, head.size());
    if (line.size() >= tail.size() && line.compare(line.size() - tail.size(), tail.size(), tail) == 0)
        line.erase(line.size() - tail.size());
    return line;
}

}  // namespace

Config resolve_backend(Config config) {
    if (config.backend != Backend::automatic) return config;
    if (const auto refused = uring::unavailable_reason()) {
        config.backend = Backend::epoll;
        log::info("backend auto: ", backend_label(config), " (io_uring refused: ", bare_reason(*refused), ")");
    } else {
        config.backend = Backend::io_uring;
        log::info("backend auto: io_uring (the kernel allows it)");
    }
    return config;
}

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
        case Backend::automatic:
            throw std::logic_error("backend = auto reached make_event_loop: resolve_backend first");
    }
    throw std::logic_error("unknown backend");
}

}  // namespace echomux
