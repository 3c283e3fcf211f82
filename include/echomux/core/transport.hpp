// SPDX-License-Identifier: BSL-1.0
// What a Connection answers through: the only way the protocol core reaches a socket. A
// readiness loop's transport sends at once (SocketTransport); a completion loop's submits
// a send and keeps the bytes until it completes (io_uring); a TLS layer can stand between
// either and the core. The core never makes a system call of its own.
#pragma once

#include <cstddef>
#include <string>

namespace echomux {

// Who a connection is between, for logs and the reply texts' placeholders: the addresses
// as text ("127.0.0.1:7007": %p, %l) and, under TLS, what the client's handshake said
// (empty on plaintext): the SNI name (%n), the version ("TLSv1.3", %v), its certificate's
// subject (%c) and the ALPN protocol agreed on.
struct Endpoints {
    std::string peer, local;
    std::string sni, tls_version, client_subject, alpn;
};

class Transport {
public:
    // Take up to n bytes now. Returns how many were taken; 0 when none can be now (the core
    // keeps them, and is called writable() when the transport takes bytes again); -errno on
    // an error.
    virtual long send(const char* bytes, std::size_t n) = 0;
    // False while bytes the transport took are still on their way (a send in flight): our
    // FIN waits for them.
    virtual bool flushed() const { return true; }
    virtual void shutdown_write() = 0;  // our FIN: everything has been sent
    // The connection ended: stop watching and let the descriptor go. The object that owns
    // the Connection is freed later, never inside this call.
    virtual void release() = 0;
    // As release(), but the connection ends with a reset (RST), not a FIN: what the peer has
    // not read is dropped (a fault: reset_after_bytes).
    virtual void abort() = 0;
    // Work came up outside a callback (the PROXY header timeout handed the echo bytes it had
    // read): call Connection::resume() soon, then follow interest() as after any callback.
    virtual void call_soon() = 0;
    virtual Endpoints endpoints() const = 0;

protected:
    ~Transport() = default;
};

}  // namespace echomux
