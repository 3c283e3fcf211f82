// SPDX-License-Identifier: BSL-1.0
// The byte stream echomux-client and echomux-bench talk over. Plaintext TCP today; TLS
// (issue 22) becomes a second Stream over the same connected descriptor (SSL_read and
// SSL_write behind the same four calls), and the greeting, the probe, the clients and the
// load loops above it do not change.
#pragma once

#include "echomux/util/fd.hpp"

#include <sys/types.h>

#include <cstddef>
#include <memory>

namespace echomux::tools {

class Stream {
public:
    virtual ~Stream() = default;
    // The descriptor to wait on (poll, epoll).
    virtual int fd() const = 0;
    // As send(2)/recv(2): bytes moved, 0 from receive when the server closed, or -1 with
    // errno (EAGAIN: wait for the descriptor to be ready, or a receive timeout expired).
    virtual ssize_t send(const char* data, std::size_t n) = 0;
    virtual ssize_t receive(char* data, std::size_t n) = 0;
    // No more to send; what was sent still comes back.
    virtual void shutdown_write() = 0;
};

// A connected TCP socket as a Stream; it closes the socket when it goes.
std::unique_ptr<Stream> plain_stream(Fd connected);

}  // namespace echomux::tools
