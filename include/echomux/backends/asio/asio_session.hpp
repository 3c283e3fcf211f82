// SPDX-License-Identifier: BSL-1.0
// One connection on the Asio backend: owns the socket and the protocol core's Session,
// and feeds the core what Asio reports. It starts waiting the buffer-less way (async_wait: readiness, then a read
// into the loop's scratch space); once the client sends, it receives with async_read_some
// into a buffer borrowed from the loop's ReadBufferPool, which needs no epoll_ctl per
// request. A connection that goes quiet gives the buffer back and waits buffer-less again.
#pragma once

#include "echomux/backends/asio/read_buffer_pool.hpp"
#include "echomux/backends/socket_transport.hpp"
#include "echomux/core/service.hpp"
#include "echomux/core/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace echomux::asio {

class AsioSession final : private SocketTransport,
                          public ReadBufferPool::Borrower,
                          public std::enable_shared_from_this<AsioSession> {
public:
    // A socket on the io_context's own executor, not the type-erased any_io_executor: with
    // it, each post (and each completion's work tracking) went through type erasure, and
    // each post allocated its function with malloc (seen in gdb, on every request).
    using Socket = boost::asio::ip::tcp::socket::rebind_executor<boost::asio::io_context::executor_type>::other;

    AsioSession(Service& service, ReadBufferPool& buffers, Socket socket);
    ~AsioSession();
    void start() { follow(session_->start()); }  // the greeting, or the wait for a PROXY header

private:
    void watch();  // arm what interest() asks for
    void wait_readable();  // no buffer: readiness, then on_read()
    void receive();        // into the borrowed buffer, once the queued handlers ran
    void start_receive();
    void on_received(const boost::system::error_code& ec, std::size_t n);
    template <class Callback>
    void on_ready(const boost::system::error_code& ec, Callback callback);
    void follow(Next next);
    void release() override;
    void call_soon() override;
    void return_when_idle() override;

    Service& service_;
    ReadBufferPool& buffers_;
    Socket socket_;
    std::unique_ptr<Session> session_;
    bool read_armed_ = false;
    bool write_armed_ = false;
    bool held_ = false;       // an error wait keeps a session that wants nothing (stalled) alive
    bool receiving_ = false;  // the client sends: borrow a buffer for the next reads
};

}  // namespace echomux::asio
