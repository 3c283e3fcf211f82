// SPDX-License-Identifier: BSL-1.0
// The byte stream echomux-client and echomux-bench talk over: plaintext TCP, or TLS
// (tools/tls_stream.hpp) over the same connected descriptor, behind the same calls, so the
// greeting, the probe, the clients and the load loops above it do not change.
#pragma once

#include "echomux/util/fd.hpp"

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

namespace echomux::tools {

class Stream {
public:
    virtual ~Stream() = default;
    // The descriptor to wait on (poll, epoll).
    virtual int fd() const = 0;
    // As send(2)/recv(2): bytes moved, 0 from receive when the server closed, or -1 with
    // errno (EAGAIN: wait for the descriptor to be ready, or a receive timeout expired).
    // After EAGAIN from send, offer at least the same bytes again: TLS has sealed them.
    virtual ssize_t send(const char* data, std::size_t n) = 0;
    virtual ssize_t receive(char* data, std::size_t n) = 0;
    // No more to send; what was sent still comes back.
    virtual void shutdown_write() = 0;

    // What the last call that failed with EAGAIN waits for. Plaintext: its own direction;
    // TLS may have to receive to send (a handshake) or send to receive.
    enum class Wait { read, write };
    virtual Wait waits_for() const = 0;
    // Bytes already taken off the descriptor (TLS: the rest of a record): a receive may
    // return them although poll would not say the descriptor is readable.
    virtual bool buffered() const { return false; }
    // Why the last call failed with errno `error` (TLS: what OpenSSL said).
    virtual std::string why(int error) const;
};

// A connected TCP socket as a Stream; it closes the socket when it goes.
std::unique_ptr<Stream> plain_stream(Fd connected);

}  // namespace echomux::tools
