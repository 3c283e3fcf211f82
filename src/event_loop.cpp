#include "echomux/event_loop.hpp"

#include "echomux/asio/asio_loop.hpp"

namespace echomux {

std::unique_ptr<EventLoop> make_event_loop(SharedState& shared, Fd listener) {
    switch (shared.config.backend) {
        case Backend::asio:
            return std::make_unique<asio::AsioLoop>(shared, std::move(listener));
        default:
            throw std::runtime_error(std::string("backend not built: ") + backend_name(shared.config.backend));
    }
}

}  // namespace echomux
