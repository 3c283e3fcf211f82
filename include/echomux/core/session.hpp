// SPDX-License-Identifier: BSL-1.0
// What a backend adapter drives for one client: the protocol, fed what happened on the
// socket, answering through a Transport. A plaintext Connection, or a TlsConnection that
// runs the TLS state machine (no I/O of its own) in front of a Connection. Every backend
// serves both through this one interface.
#pragma once

#include <cstddef>
#include <memory>

namespace echomux {

class Service;
class Transport;

struct Interest {
    bool read = false;
    bool write = false;
    bool operator==(const Interest& o) const { return read == o.read && write == o.write; }
    bool operator!=(const Interest& o) const { return !(*this == o); }
};

// What the backend does after a callback.
enum class Next {
    wait,   // watch for interest() and wait
    again,  // bytes may be readable with no new readiness event coming (a fairness budget
            // ran out, or reading resumed after backpressure): call resume() or read soon
    close,  // finished: call close()
};

class Session {
public:
    virtual ~Session() = default;

    // Once the transport can send: the greeting, a handshake, or the wait for a PROXY header.
    virtual Next start() = 0;
    // Bytes arrived (at most read_room(); they may be changed in place).
    virtual Next received(char* bytes, std::size_t n) = 0;
    virtual Next peer_closed() = 0;      // the peer's FIN
    virtual Next failed(int error) = 0;  // the socket failed: Next::close
    virtual Next writable() = 0;         // the transport takes bytes again
    virtual Next resume() = 0;           // after Next::again, or with holding()

    // Read while this says so, at most read_room() bytes at a time, into read_buffer().
    virtual Interest interest() const = 0;
    virtual std::size_t read_room() const = 0;
    virtual char* read_buffer() const = 0;
    // Bytes arrived but not used yet: resume() uses them; no read may come before.
    virtual bool holding() const = 0;

    virtual bool closed() const = 0;
    // Ends the session now, after Next::close. Idempotent, counted once; the transport is
    // released (the owner frees the session later, never inside this call).
    virtual void close() = 0;
};

// The session a new connection of `service` gets: TLS when its settings say so.
std::unique_ptr<Session> make_session(Service& service, Transport& transport);

}  // namespace echomux
