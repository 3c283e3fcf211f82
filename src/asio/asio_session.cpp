#include "echomux/asio/asio_session.hpp"

#include <boost/asio/post.hpp>

namespace echomux::asio {

using boost::asio::ip::tcp;

AsioSession::AsioSession(Service& service, tcp::socket socket)
    : Connection(service, socket.native_handle()), socket_(std::move(socket)) {}

void AsioSession::watch() {
    const Interest want = interest();
    if (want.read && !read_armed_) {
        read_armed_ = true;
        socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->read_armed_ = false;
            if (!ec && !self->closed()) self->follow(self->on_read(true));
        });
    }
    if (want.write && !write_armed_) {
        write_armed_ = true;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->write_armed_ = false;
            if (!ec && !self->closed()) self->follow(self->on_write());
        });
    }
}

void AsioSession::follow(Next next) {
    switch (next) {
        case Next::close:
            close();
            return;
        case Next::again:
            // Asio's reactor is edge-triggered: readiness already consumed is not reported
            // again, so read now (after letting other handlers run) instead of waiting.
            boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
                if (!self->closed()) self->follow(self->on_read(true));
            });
            break;
        case Next::wait:
            break;
    }
    watch();
}

void AsioSession::release() {
    boost::system::error_code ignored;
    socket_.close(ignored);  // pending waits complete with operation_aborted and let go of us
}

}  // namespace echomux::asio
