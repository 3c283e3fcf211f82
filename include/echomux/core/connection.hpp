// SPDX-License-Identifier: BSL-1.0
// One client connection's protocol, shared by every backend and written once: a PROXY
// header first (proxy_protocol), then read, transform, write, bounded buffering with
// backpressure, half-close flush. It owns no socket and makes no system call: it is fed
// what happened (received, peer_closed, failed, writable) and answers through its
// Transport and interest()/read_room(), so completion loops (io_uring) drive the same code
// as readiness loops (select/poll/epoll, Asio), whose SocketTransport reads the socket in
// on_read like the selectors echo server's callbacks. The connection reports to its
// Service (it started, worked, ended); the Service decides about timeouts and limits.
#pragma once

#include "echomux/core/buffer.hpp"
#include "echomux/core/fault_plan.hpp"
#include "echomux/core/pacing.hpp"
#include "echomux/core/proxy_header_reader.hpp"
#include "echomux/core/service.hpp"
#include "echomux/core/session.hpp"
#include "echomux/core/transport.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace echomux {

class Connection final : public Session, private Expiring {
public:
    using Next = echomux::Next;
    enum class State {
        starting,         // made, not started: its transport may not exist yet
        awaiting_header,  // proxy_protocol: reading the PROXY header; nothing echoed yet
        open,             // reading and echoing
        half_closed,      // the peer sent its FIN: sending what still waits, then ours
        discarding,       // a fault (close_after_bytes) sent our FIN: reading and dropping until the peer's
        stalled,          // a fault (stall_after_bytes): nothing read or written any more
        closed,           // released; the backend frees the object when its callback is over
    };

    // Counted against max_connections from here on (the accept took the slot). It reads a
    // PROXY header as `proxy` says: the listener's proxy_protocol, or off behind a TLS layer
    // that read it before the handshake.
    Connection(Service& service, Transport& transport);
    Connection(Service& service, Transport& transport, ProxyProtocol proxy);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Once the transport can send: the greeting, or the wait for a PROXY header.
    Next start() override;

    State state() const { return state_; }
    bool closed() const override { return state_ == State::closed; }
    // Bytes read but not echoed yet (no room, or they came with the PROXY header): resume()
    // echoes them; no read may come before.
    bool holding() const override { return !held_.empty(); }

    // What happened on the socket, from any kind of loop.
    // Bytes arrived (any amount: what cannot be echoed now is held, bounded by what one
    // read can bring, and echoed when room comes). They may be changed in place.
    Next received(char* bytes, std::size_t n) override;
    Next peer_closed() override;         // the peer's FIN: flush, then ours
    Next failed(int error) override;     // the socket failed: counted as a reset, Next::close
    Next writable() override;            // the transport takes bytes again: send what waits
    Next resume() override;              // after Next::again: echo bytes the connection holds

    // What to watch for: read while the peer may still send and there is room; write
    // only while bytes wait, or our FIN does (the selectors client/server switch).
    Interest interest() const override;
    // At most this many bytes may be read now; 0 while reading is paused (backpressure).
    std::size_t read_room() const override;
    // Where a readiness loop reads into: the loop's scratch space, read_room() bytes of it.
    char* read_buffer() const override { return service_.scratch(); }

    // Why a connection ended: the access log's end= and echomux_connections_closed_total{reason}.
    enum class End { eof, idle, drain, reset, proxy_error, tls_error, fault_close, fault_reset };
    static const char* end_name(End end);

    // Ends the connection now, after Next::close for what the connection itself saw (eof,
    // reset, proxy_error, tls_error). Idempotent, counted once. The transport stops watching
    // and lets the descriptor go; the backend frees the object later, never inside this call.
    void close() override { close(end_); }
    // What a layer in front of it saw end the connection (a TLS handshake that failed).
    Next end_for(End why) {
        end_ = why;
        return Next::close;
    }

private:
    void close(End why);
    void expire(Expiry why) override;  // the Service's deadlines
    void on_header_timeout();

    bool reading() const {
        return (state_ == State::open || state_ == State::awaiting_header) && held_.empty() && !peer_finished_;
    }
    template <class Step>
    Next guarded(Step step);  // bad_alloc ends this connection, not the loop
    Next take_header(const char* bytes, std::size_t n);
    Next header_outcome(ProxyHeaderReader::Outcome outcome);
    // As much as there is room for; the rest is held. False on a transport error (error_).
    bool echo(char* bytes, std::size_t n);
    bool echo_held();
    void end_header();  // what follows the header (held_, then the socket) is the client's
    void begin_echo();  // the client is known: greeting, prefix, then echo
    Next proxy_error(Counter Stats::*reason, const std::string& detail);
    // Room to read at least one byte: what one byte can become (1, or the prefix and it).
    bool has_room() const { return pending_.space() >= growth_; }
    std::size_t add_prefixes(const char* in, std::size_t n, char* out);
    long send_some(const char* bytes, std::size_t n);  // through the transport, counted
    bool send_pending();                               // false on a transport error
    Next finish_callback();
    Next act_on_fault();  // the fault's byte count is sent: close, reset or stall
    void begin_discarding();  // a close fault: our FIN now, then read and drop until the peer's
    void fin_once_flushed();  // our FIN, unless a send is still in flight (then at its writable())
    void on_fault_timer();    // a lifetime ended, or delayed or paced bytes may go
    void arm_fault_timer();   // the timer at the next of those, if any
    long long arrived_by() const;  // when bytes read now arrived, at the latest, for the delay

    Service& service_;
    Transport& transport_;
    // The settings this connection started with: a reload changes them for new ones only.
    const Mode mode_;
    const ProxyProtocol proxy_;
    const bool access_log_;
    const FaultPlan fault_;  // drawn at accept
    // With delay or bandwidth: which of pending_ may go when (null for most connections).
    std::unique_ptr<Pacing> pacing_;
    Service::Timer fault_timer_;
    bool lifetime_over_ = false;  // the close_after / reset_after fault has acted
    Buffer pending_;  // transformed bytes the peer has not taken yet
    State state_ = State::starting;
    std::string prefix_;          // mode = prefix: before each line, this connection's %p filled in
    std::size_t growth_ = 1;      // the most bytes one byte read turns into
    bool at_line_start_ = true;
    Service::Slot slot_;
    Service::HeaderSlot header_slot_;
    ProxyHeaderReader header_;  // awaiting_header
    // Bytes read but not echoed yet, for lack of room or because they came with the header:
    // echoed before anything else, and the peer's FIN (peer_finished_) after them.
    std::string held_;
    bool peer_finished_ = false;
    bool fin_sent_ = false;  // shutdown_write() was called; closed once the transport has flushed
    int error_ = 0;  // the transport's last error
    // For the access log and %p/%l: taken at the start, since a reset socket no longer knows its peer.
    Endpoints endpoints_;
    std::uint64_t received_ = 0, sent_ = 0;
    long long started_ms_;  // loop time: what the fault timers count from
    long long started_us_;  // the clock, for the duration histogram
    End end_ = End::eof;
};

}  // namespace echomux
