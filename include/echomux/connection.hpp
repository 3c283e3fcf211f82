// One client connection's protocol state, shared by every backend: a PROXY header first
// (proxy_protocol), then read, transform, write, bounded buffering with backpressure,
// half-close flush. A backend only reports
// readiness (on_read / on_write, like the selectors echo server's callbacks) and keeps
// its registration in line with interest(). The connection reports to its Service (it
// started, worked, ended); the Service decides about timeouts and limits.
#pragma once

#include "echomux/buffer.hpp"
#include "echomux/service.hpp"

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

    // `drain`: keep reading until the socket would block (edge-triggered readiness);
    // otherwise one read per call, as level-triggered readiness reports again.
    Next on_read(bool drain);
    Next on_write();

    // What to watch for: read while the peer may still send and there is room; write
    // only while bytes wait (the selectors client/server switch).
    Interest interest() const {
        return {(state_ == State::open || state_ == State::awaiting_header) && has_room(), !pending_.empty()};
    }

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
    // The socket failed (or the backend could not watch it): counted, and Next::close.
    Next fail(int error);

    // Backend part of close(): stop watching the fd and release it.
    virtual void release() = 0;
    // Work came up outside a callback (the PROXY header timeout handed bytes already read
    // to the echo, and queued a greeting): call on_read soon, then follow interest() as
    // after any callback. A selector would report neither.
    virtual void call_soon() = 0;

private:
    Next read(bool drain);  // on_read without its out-of-memory guard
    // The next bytes from the client: what followed the PROXY header first, then the socket.
    ssize_t receive(char* into, std::size_t want);
    Next read_header();
    void end_header();  // what follows the header (unread_, then the socket) is the client's
    void begin_echo();  // the client is known: greeting, prefix, then echo
    Next proxy_error(Counter Stats::*reason, const std::string& detail);
    // Room to read at least one byte: what one byte can become (1, or the prefix and it).
    bool has_room() const { return pending_.space() >= growth_; }
    std::size_t add_prefixes(const char* in, std::size_t n, char* out);
    void greet();
    long send_some(const char* bytes, std::size_t n);  // bytes sent, 0 if it would block, -1 on error
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
    std::string unread_;  // bytes read with the header that are the client's: echoed first
    bool peer_finished_ = false;  // the EOF came while reading the header: it follows unread_
    // For the access log and %p/%l: taken at the start, since a reset socket no longer knows its peer.
    std::string peer_, local_;
    std::uint64_t received_ = 0, sent_ = 0;
    long long started_ms_ = 0;
    End end_ = End::eof;
};

}  // namespace echomux
