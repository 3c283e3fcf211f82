// SPDX-License-Identifier: BSL-1.0
// The transport of the readiness loops (select, poll, epoll, Asio): a send goes straight to
// the non-blocking socket, and on_read is the selectors echo server's read callback, which
// reads the socket into the connection. Whoever owns the descriptor (NativeConnection's Fd,
// AsioSession's socket) implements release() and call_soon().
#pragma once

#include "echomux/core/session.hpp"
#include "echomux/core/transport.hpp"

namespace echomux {

class SocketTransport : public Transport {
public:
    explicit SocketTransport(int fd) : fd_(fd) {}
    int fd() const { return fd_; }

    long send(const char* bytes, std::size_t n) override;
    void shutdown_write() override;
    void abort() override;  // SO_LINGER 0, then release(): the close sends RST
    Endpoints endpoints() const override;

    // The socket is readable: read it into `connection`, bytes it holds first. `drain`:
    // edge-triggered, keep reading until a read comes back short, or until the socket would
    // block when `read_all` (the peer's FIN or urgent data came: a short read is no sign of
    // an empty socket, and no new edge will come). Otherwise one read per call, as
    // level-triggered readiness reports again.
    Next on_read(Session& connection, bool drain = false, bool read_all = false);

protected:
    ~SocketTransport() = default;

private:
    int fd_;
};

}  // namespace echomux
