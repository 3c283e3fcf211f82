// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/asio/asio_session.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>

namespace echomux::asio {

using boost::asio::ip::tcp;

AsioSession::AsioSession(Service& service, ReadBufferPool& buffers, Socket socket)
    : SocketTransport(socket.native_handle()),
      service_(service),
      buffers_(buffers),
      socket_(std::move(socket)),
      session_(make_session(service, *this)) {}

AsioSession::~AsioSession() { buffers_.give_back(*this); }

void AsioSession::watch() {
    const Interest want = session_->interest();
    if (!read_armed_) {
        if (!want.read)
            buffers_.give_back(*this);  // paused or finished: a buffer not in use goes back
        else if (receiving_ && buffers_.borrow(*this))
            receive();
        else
            wait_readable();  // idle so far, or every buffer is out
    }
    // A session that wants nothing (a stall fault) still needs an operation pending: Asio's
    // handlers own the session, which would go, and its socket close, with none. A wait for
    // an error holds it until its deadlines (idle, drain) close it, or the peer resets it.
    if (!want.read && !want.write && !read_armed_ && !write_armed_ && !held_ && !session_->closed()) {
        held_ = true;
        socket_.async_wait(tcp::socket::wait_error, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->held_ = false;
            self->on_ready(ec, [&] { return self->session_->failed(ECONNRESET); });
        });
    }
    if (want.write && !write_armed_) {
        write_armed_ = true;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
            self->write_armed_ = false;
            self->on_ready(ec, [&] { return self->session_->writable(); });
        });
    }
}

// async_wait completes when the socket is ready, including readiness that is already
// there (Asio re-arms its epoll registration for each wait, at one epoll_ctl): level-
// triggered semantics, so one read per wake-up is enough.
void AsioSession::wait_readable() {
    read_armed_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->read_armed_ = false;
        self->on_ready(ec, [&] {
            self->receiving_ = true;
            return self->on_read(*self->session_);
        });
    });
}

// Asio tries the read at once (a completion found that way is posted, so the buffer is
// this connection's alone until the handler runs) and otherwise waits on the edge-
// triggered registration it made once: no epoll_ctl per request. Started right after our
// reply, that first try would find nothing (the client has not answered yet) and cost a
// recv for nothing; started after the handlers already queued (the rest of this batch of
// events), it often finds the next request, which then needs no epoll_wait report either.
void AsioSession::receive() {
    read_armed_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
        if (self->session_->closed()) {
            self->read_armed_ = false;
            return self->buffers_.give_back(*self);
        }
        self->start_receive();
    });
}

void AsioSession::start_receive() {
    char* const buffer = ReadBufferPool::buffer_of(*this);
    const std::size_t room = std::min(session_->read_room(), buffers_.buffer_bytes());
    socket_.async_read_some(boost::asio::buffer(buffer, room),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                self->read_armed_ = false;
                                self->on_received(ec, n);
                            });
}

void AsioSession::on_received(const boost::system::error_code& ec, std::size_t n) {
    if (session_->closed()) return buffers_.give_back(*this);  // the read was cancelled by close()
    service_.update_time();  // Asio's loop wakes into each handler: no hook of its own
    if (ec == boost::asio::error::operation_aborted) {  // idle for the sweep: wait buffer-less
        receiving_ = false;
        buffers_.give_back(*this);
        return watch();
    }
    if (ec == boost::asio::error::eof) return follow(session_->peer_closed());
    if (ec) return follow(session_->failed(ec.value()));
    ReadBufferPool::mark_used(*this);
    follow(session_->received(ReadBufferPool::buffer_of(*this), n));
}

// Cancels the write wait too, if there is one: on_ready() arms it again. (A per-operation
// cancellation slot would spare that, at a slot per read started.)
void AsioSession::return_when_idle() {
    if (!read_armed_) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
}

template <class Callback>
void AsioSession::on_ready(const boost::system::error_code& ec, Callback callback) {
    if (session_->closed()) return;  // a wait cancelled by close()
    if (ec == boost::asio::error::operation_aborted) return watch();  // by return_when_idle()
    // The reactor could not wait on this socket: end this connection, never the loop.
    if (ec) return follow(session_->failed(ec.value()));
    service_.update_time();
    follow(callback());
}

void AsioSession::follow(Next next) {
    if (next == Next::close) return session_->close();
    // Bytes the connection holds (after backpressure, or with a PROXY header) are no
    // readiness Asio would report: they need a call of their own. Bytes still in the
    // socket are found by the next wait or receive, both of which see what is there.
    if (next == Next::again) call_soon();
    watch();
}

void AsioSession::call_soon() {
    // resume(), never a read of our own: a receive may be in flight, and bytes it already
    // took must be echoed before any read after them.
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
        if (self->session_->closed()) return;
        self->service_.update_time();
        self->follow(self->session_->resume());
    });
}

void AsioSession::release() {
    boost::system::error_code ignored;
    socket_.close(ignored);  // pending operations complete with operation_aborted and let go of us
    if (!read_armed_) buffers_.give_back(*this);  // else the cancelled receive still owns it
}

}  // namespace echomux::asio
