// SPDX-License-Identifier: BSL-1.0
// One client connection's protocol, shared by every backend and written once: a PROXY
// header first (proxy_protocol), then read, transform, write, bounded buffering with
// backpressure, half-close flush. The core does not assume readiness: it is fed what
// happened (received, peer_closed, failed, writable) and answers through transmit() and
// interest()/read_room(), so completion loops (io_uring) drive the same code as readiness
// loops (select/poll/epoll, Asio async_wait), which use the on_read/on_write adapter that
// reads the socket itself, like the selectors echo server's callbacks. The connection
// reports to its Service (it started, worked, ended); the Service decides about timeouts
// and limits.
#pragma once

#include "echomux/core/buffer.hpp"
#include "echomux/core/service.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace echomux {

struct Interest {
    bool read = false;
    bool write = false;
    bool operator==(const Interest& o) const { return read == o.read && write == o.write; }
    bool operator!=(const Interest& o) const { return !(*this == o); }
};

class Connection {
public:
    // What the backend does after a callback.
    enum class Next {
        wait,   // watch for interest() and wait
        again,  // bytes may be readable with no new readiness event coming (a fairness
                // budget ran out, or reading resumed after backpressure): call on_read soon
        close,  // finished: call close()
    };
    enum class State {
        awaiting_header,  // proxy_protocol: reading the PROXY header; nothing echoed yet
        open,         // reading and echoing
        half_closed,  // the peer sent its FIN: sending what still waits, then ours
        closed,       // released; the backend frees the object when its callback is over
    };

    Connection(Service& service, int fd);
    virtual ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return fd_; }
    State state() const { return state_; }

    // What happened on the socket, from any kind of loop.
    // Bytes arrived (any amount: what cannot be echoed now is held, bounded by what one
    // read can bring, and echoed when room comes). They may be changed in place.
    Next received(char* bytes, std::size_t n);
    Next peer_closed();         // the peer's FIN: flush, then ours
    Next failed(int error);     // the socket failed: counted as a reset, Next::close
    Next writable();            // the transport takes bytes again: send what waits
    Next resume();              // after Next::again: echo bytes the connection holds

    // The readiness adapter: the socket is readable (writable); read (send) it here.
    // `drain`: edge-triggered, keep reading until a read comes back short, or until the
    // socket would block when `read_all` (the peer's FIN or urgent data came: a short read
    // is no sign of an empty socket, and no new edge will come). Otherwise one read per
    // call, as level-triggered readiness reports again.
    Next on_read(bool drain = false, bool read_all = false);
    Next on_write() { return writable(); }

    // What to watch for: read while the peer may still send and there is room; write
    // only while bytes wait (the selectors client/server switch).
    Interest interest() const { return {reading() && has_room(), !pending_.empty()}; }
    // At most this many bytes may be read now; 0 while reading is paused (backpressure).
    std::size_t read_room() const;

    // Why a connection ended: the access log's end= and echomux_connections_closed_total{reason}.
    enum class End { eof, idle, drain, reset, proxy_error };
    static const char* end_name(End end);

    // Ends the connection now, after Next::close for what the connection itself saw (eof,
    // reset, proxy_error), or for `why` (idle timeout, drain deadline). Idempotent,
    // counted once. The backend stops watching the fd and closes it; it frees the object
    // later, never inside this call.
    void close() { close(end_); }
    void close(End why);

    // proxy_header_timeout ran out before a whole header came: closed (required) or
    // served as it is (optional). Called by the Service.
    void on_header_timeout();

protected:
    bool closed() const { return state_ == State::closed; }
    Service& service() const { return service_; }

    // The transport: take up to n bytes now and return how many were taken, 0 when it cannot
    // (the rest waits here until writable()), -1 with errno on an error. The default sends
    // on the socket; a completion backend submits a send and takes nothing while one is in
    // flight.
    virtual long transmit(const char* bytes, std::size_t n);
    // False while bytes the transport took are still on their way (a completion backend's
    // send in flight): our FIN waits for them.
    virtual bool transmitted() const { return true; }

    // Backend part of close(): stop watching the fd and release it.
    virtual void release() = 0;
    // Work came up outside a callback (the PROXY header timeout handed bytes already read
    // to the echo, and queued a greeting): call resume() (or on_read) soon, then follow
    // interest() as after any callback. A selector would report neither.
    virtual void call_soon() = 0;

private:
    bool reading() const {
        return (state_ == State::open || state_ == State::awaiting_header) && held_.empty() && !peer_finished_;
    }
    template <class Step>
    Next guarded(Step step);  // bad_alloc ends this connection, not the loop
    Next take_header(const char* bytes, std::size_t n);
    // As much as there is room for; the rest is held. False on a socket error (errno).
    bool echo(char* bytes, std::size_t n);
    bool echo_held();
    void end_header();  // what follows the header (held_, then the socket) is the client's
    void begin_echo();  // the client is known: greeting, prefix, then echo
    Next proxy_error(Counter Stats::*reason, const std::string& detail);
    // Room to read at least one byte: what one byte can become (1, or the prefix and it).
    bool has_room() const { return pending_.space() >= growth_; }
    std::size_t add_prefixes(const char* in, std::size_t n, char* out);
    void greet();
    long send_some(const char* bytes, std::size_t n);  // transmit(), counted
    bool send_pending();                               // false on a socket error
    Next finish_callback();

    Service& service_;
    const int fd_;
    // The settings this connection started with: a reload changes them for new ones only.
    const Mode mode_;
    const ProxyProtocol proxy_;
    const bool access_log_;
    Buffer pending_;  // transformed bytes the peer has not taken yet
    State state_ = State::open;
    std::string prefix_;          // mode = prefix: before each line, this connection's %p filled in
    std::size_t growth_ = 1;      // the most bytes one byte read turns into
    bool at_line_start_ = true;
    Service::Slot slot_;
    Service::HeaderSlot header_slot_;
    std::string header_;  // awaiting_header: the bytes so far, at most proxy::kMaxHeaderBytes
    // Bytes read but not echoed yet, for lack of room or because they came with the header:
    // echoed before anything else, and the peer's FIN (peer_finished_) after them.
    std::string held_;
    bool peer_finished_ = false;
    // For the access log and %p/%l: taken at the start, since a reset socket no longer knows its peer.
    std::string peer_, local_;
    std::uint64_t received_ = 0, sent_ = 0;
    long long started_ms_ = 0;
    End end_ = End::eof;
};

}  // namespace echomux
