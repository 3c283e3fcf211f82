// SPDX-License-Identifier: BSL-1.0
#include "echomux/asio/asio_session.hpp"

#include <boost/asio/post.hpp>

namespace echomux::asio {

using boost::asio::ip::tcp;

AsioSession::AsioSession(Service& service, tcp::socket socket)
    : Connection(service, socket.native_handle()), socket_(std::move(socket)) {}

// async_wait completes when the socket is ready, including readiness that is already
// there (Asio re-arms its epoll registration for each wait): level-triggered semantics,
// so one read per wake-up is enough and a paused read needs no extra nudge.
void AsioSession::watch() {
    const Interest want = interest();
    if (want.read && !read_armed_) {
        read_armed_ = true;
        socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->read_armed_ = false;
            self->on_ready(ec, [&] { return self->on_read(false); });
        });
    }
    if (want.write && !write_armed_) {
        write_armed_ = true;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->write_armed_ = false;
            self->on_ready(ec, [&] { return self->on_write(); });
        });
    }
}

template <class Callback>
void AsioSession::on_ready(const boost::system::error_code& ec, Callback callback) {
    if (closed()) return;  // a wait cancelled by close()
    // The reactor could not wait on this socket: end this connection, never the loop.
    if (ec) return follow(failed(ec.value()));
    follow(callback());
}

void AsioSession::follow(Next next) {
    if (next == Next::close) return close();
    // A wait would report the socket's lasting readiness, but not bytes the connection
    // already holds (they came with a PROXY header): those need a call of their own.
    if (next == Next::again) call_soon();
    watch();
}

void AsioSession::call_soon() {
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
        if (!self->closed()) self->follow(self->on_read(false));
    });
}

void AsioSession::release() {
    boost::system::error_code ignored;
    socket_.close(ignored);  // pending waits complete with operation_aborted and let go of us
}

}  // namespace echomux::asio
