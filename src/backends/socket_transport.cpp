// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/socket_transport.hpp"

#include "echomux/util/socket_address.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace echomux {
namespace {
// Reads per on_read(drain = true) before other connections get a turn.
constexpr int kReadsPerTurn = 16;
}  // namespace

long SocketTransport::send(const char* bytes, std::size_t n) {
    for (;;) {
        // MSG_NOSIGNAL: a peer that went away is an EPIPE for this connection, not a
        // SIGPIPE for the process.
        const ssize_t sent = ::send(fd_, bytes, n, MSG_NOSIGNAL);
        if (sent >= 0) return sent;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -errno;
    }
}

void SocketTransport::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void SocketTransport::abort() {
    const linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    release();
}

Endpoints SocketTransport::endpoints() const { return {peer_address(fd_), local_address(fd_), {}, {}, {}, {}}; }

Next SocketTransport::on_read(Session& connection, bool drain, bool read_all) {
    if (connection.holding()) {
        const Next next = connection.resume();
        if (next != Next::wait) return next;
    }
    bool read_any = false;
    for (int reads = 0; !connection.closed() && connection.read_room() > 0; ++reads) {
        if (reads == kReadsPerTurn) return Next::again;
        const std::size_t want = connection.read_room();
        char* const into = connection.read_buffer();
        const ssize_t n = ::recv(fd_, into, want, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return connection.failed(errno);
        }
        read_any = true;
        const Next next = n == 0 ? connection.peer_closed() : connection.received(into, static_cast<std::size_t>(n));
        if (next != Next::wait || !drain) return next;
        // Edge-triggered: a short read emptied the socket, and the next bytes bring a new
        // edge; the read that would block is saved (one system call per wake-up).
        if (static_cast<std::size_t>(n) < want && !read_all) break;
    }
    // Nothing came (a readiness report with nothing to read, or no room): the connection
    // still says where it stands (its FIN may be due).
    return read_any ? Next::wait : connection.resume();
}

}  // namespace echomux
