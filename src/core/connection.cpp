// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/connection.hpp"

#include "echomux/core/echo_protocol.hpp"
#include "echomux/util/log.hpp"
#include "echomux/core/proxy_header.hpp"
#include "echomux/core/service.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace echomux {

Connection::Connection(Service& service, Transport& transport)
    : Connection(service, transport, service.config().proxy_protocol) {}

Connection::Connection(Service& service, Transport& transport, ProxyProtocol proxy)
    : service_(service),
      transport_(transport),
      mode_(service.config().mode),
      proxy_(proxy),
      access_log_(service.config().access_log),
      fault_(service.plan_fault()),
      pending_(service.config().max_buffer_bytes),
      slot_(service_.attach(*this)),
      header_(proxy_),
      started_ms_(service_.loop_time_ms()),
      started_us_(service_.now_us()) {
    if (fault_.paced())
        pacing_ = std::make_unique<Pacing>(fault_.delay_ms, fault_.jitter_ms, fault_.bandwidth, started_ms_);
}

// Not in the constructor: the greeting goes through the transport, which must exist (an
// io_uring connection's send is its own, not a plain ::send from the base's constructor).
Connection::Next Connection::start() {
    return guarded([&] {
        if (access_log_ || service_.prefix().per_connection() || service_.greeting().per_connection())
            endpoints_ = transport_.endpoints();
        if (proxy_ == ProxyProtocol::off) {
            begin_echo();
        } else {
            state_ = State::awaiting_header;
            header_slot_ = service_.await_header(*this);
        }
        if (fault_.lifetime_action != FaultPlan::Action::none) arm_fault_timer();
        return finish_callback();
    });
}

void Connection::begin_echo() {
    state_ = State::open;
    if (mode_ == Mode::prefix) {
        prefix_ = service_.prefix().fill(endpoints_);
        // An environment value may be long: keep half the buffer for the line itself.
        prefix_.resize(std::min(prefix_.size(), pending_.limit() / 2));
        growth_ = prefix_.size() + 1;
    }
    // The greeting waits like any reply, and goes out now if the transport takes it: one
    // line of at most max_buffer_bytes (only environment values make it that long).
    if (!service_.greeting().empty()) {
        std::string line = service_.greeting().fill(endpoints_);
        line.resize(std::min(line.size(), pending_.space() - 1));
        line += '\n';
        pending_.append(line.data(), line.size());
        if (pacing_) pacing_->queued_now(line.size());  // not delayed: paced, as everything sent
        send_pending();  // an error stays in error_: the callback's end reports it
    }
}

Connection::~Connection() {
    service_.cancel_timer(fault_timer_);
    if (state_ == State::awaiting_header) service_.header_done(header_slot_);
    if (state_ != State::closed) service_.detach(slot_);
}

void Connection::expire(Expiry why) {
    switch (why) {
        case Expiry::idle: return close(End::idle);
        case Expiry::drain: return close(End::drain);
        case Expiry::header: return on_header_timeout();
        case Expiry::handshake: return;  // a TlsConnection's deadline, never a Connection's
        case Expiry::timer: return on_fault_timer();
    }
}

const char* Connection::end_name(End end) {
    switch (end) {
        case End::eof: return "eof";
        case End::idle: return "idle";
        case End::drain: return "drain";
        case End::reset: return "reset";
        case End::proxy_error: return "proxy_error";
        case End::tls_error: return "tls_error";
        case End::fault_close: return "fault_close";
        case End::fault_reset: return "fault_reset";
    }
    return "?";
}

void Connection::close(End why) {
    if (state_ == State::closed) return;
    if (state_ == State::awaiting_header) service_.header_done(header_slot_);
    service_.cancel_timer(fault_timer_);
    end_ = why;
    Stats& stats = service_.stats();
    // Counted before detach() frees the max_connections slot: whoever sees the slot free
    // (acquire) also sees the connection counted closed.
    switch (end_) {
        case End::eof: stats.closed_eof.add(); break;
        case End::idle: stats.closed_idle.add(); break;
        case End::drain: stats.closed_drain.add(); break;
        case End::reset: stats.closed_reset.add(); break;
        case End::proxy_error: stats.closed_proxy_error.add(); break;
        case End::tls_error: stats.closed_tls_error.add(); break;
        case End::fault_close: stats.closed_fault_close.add(); break;
        case End::fault_reset: stats.closed_fault_reset.add(); break;
    }
    // Its own clock reads, in µs: the loop's millisecond time would sum short connections to 0.
    const long long duration_us = std::max(0LL, service_.now_us() - started_us_);
    const long long duration_ms = duration_us / 1000;
    service_.stats().connection_us.observe(static_cast<std::uint64_t>(duration_us));
    service_.stats().connection_bytes.observe(received_);
    if (access_log_) {
        if (endpoints_.peer.empty()) endpoints_ = transport_.endpoints();  // ended before start(): a failed TLS handshake
        service_.log_access(endpoints_, received_, sent_, duration_ms, end_name(end_), fault_.names().c_str());
    }
    state_ = State::closed;
    service_.detach(slot_);
    if (end_ == End::fault_reset) transport_.abort();
    else transport_.release();
}

long Connection::send_some(const char* bytes, std::size_t n) {
    // A fault's byte count is a hard stop: the bytes after it are never sent.
    if (fault_.action != FaultPlan::Action::none) n = std::min<std::uint64_t>(n, fault_.after_bytes - sent_);
    if (n == 0) return 0;
    const long sent = transport_.send(bytes, n);
    if (sent < 0) error_ = static_cast<int>(-sent);
    if (sent > 0) {
        service_.stats().bytes_sent.add(static_cast<std::uint64_t>(sent));
        sent_ += static_cast<std::uint64_t>(sent);
    }
    return sent;
}

bool Connection::send_pending() {
    while (!pending_.empty()) {
        std::size_t offer = pending_.size();
        if (pacing_ && (offer = std::min(offer, pacing_->sendable(service_.loop_time_ms()))) == 0)
            break;  // delayed or paced: the fault timer (finish_callback) brings the rest
        const long sent = send_some(pending_.data(), offer);
        if (sent < 0) return false;
        if (pacing_) pacing_->sent(static_cast<std::size_t>(sent), service_.loop_time_ms());
        const bool short_write = static_cast<std::size_t>(sent) < offer;
        pending_.consume(static_cast<std::size_t>(sent));
        if (short_write) {  // the transport is full: writable() comes when it drains
            service_.stats().short_writes.add();
            break;
        }
    }
    return true;
}

template <class Step>
Connection::Next Connection::guarded(Step step) {
    if (closed()) return Next::close;
    try {
        return step();
    } catch (const std::bad_alloc&) {
        // No memory for this client's buffer: end this connection, not the loop with
        // every other client on it.
        return failed(ENOMEM);
    }
}

std::size_t Connection::read_room() const {
    if (!interest().read) return 0;
    // Never more than the loop's read buffer holds (max_buffer_bytes may be smaller than a header).
    if (state_ == State::awaiting_header) return std::min(service_.read_size(), header_.room());
    return std::min(service_.read_size(), pending_.space() / growth_);
}

Connection::Next Connection::received(char* bytes, std::size_t n) {
    return guarded([&] {
        if (state_ == State::awaiting_header) return take_header(bytes, n);
        if (state_ != State::open) return finish_callback();  // nothing is read after a FIN
        if (!held_.empty()) {  // behind what waits already
            held_.append(bytes, n);
            n = 0;
        }
        if (!echo(bytes, n) || !echo_held()) return failed(error_);
        return finish_callback();
    });
}

Connection::Next Connection::peer_closed() {
    return guarded([&] {
        if (state_ == State::awaiting_header) {
            const Next next = header_outcome(header_.peer_closed());  // what came is the client's, then its EOF
            if (state_ == State::awaiting_header || next == Next::close) return next;
        }
        peer_finished_ = true;
        return resume();
    });
}

Connection::Next Connection::resume() {
    return guarded([&] {
        const bool was_full = !has_room();
        if (pacing_ && (state_ == State::open || state_ == State::half_closed) && !send_pending())
            return failed(error_);  // the fault timer's call: delayed bytes may go now
        if (!echo_held()) return failed(error_);
        const Next next = finish_callback();
        // Room came with no readiness to report it (edge-triggered loops): read now.
        if (pacing_ && next == Next::wait && was_full && interest().read) return Next::again;
        return next;
    });
}

Connection::Next Connection::writable() {
    return guarded([&] {
        const bool was_full = !has_room();
        if (!send_pending() || !echo_held()) return failed(error_);
        const Next next = finish_callback();
        // Reading stopped while the buffer was full; readiness that arrived meanwhile may not
        // be reported again (edge-triggered loops), so ask for a read now.
        if (next == Next::wait && was_full && interest().read) return Next::again;
        return next;
    });
}

bool Connection::echo_held() {
    if (state_ == State::open && !held_.empty()) {
        std::string bytes;
        bytes.swap(held_);
        if (!echo(bytes.data(), bytes.size())) return false;  // what does not fit goes back to held_
    }
    if (state_ == State::open && held_.empty() && peer_finished_) state_ = State::half_closed;
    return true;
}

// With nothing waiting, the bytes go straight back from where they arrived: the common case
// copies nothing and keeps no per-connection memory. Otherwise they queue behind the
// waiting ones, which writable() sends. Prefixed lines are built in the buffer.
bool Connection::echo(char* bytes, std::size_t n) {
    while (n > 0 && has_room()) {
        const std::size_t take = std::min(n, pending_.space() / growth_);
        service_.stats().bytes_received.add(take);
        received_ += take;
        apply_mode(mode_, bytes, take);
        if (mode_ == Mode::prefix) {
            const std::size_t made = add_prefixes(bytes, take, pending_.prepare(take * growth_));
            pending_.commit(made);
            if (pacing_) pacing_->queued(made, arrived_by(), service_.random());
            if (!send_pending()) return false;
        } else if (pacing_) {  // they wait their turn in the buffer
            pending_.append(bytes, take);
            pacing_->queued(take, arrived_by(), service_.random());
            if (!send_pending()) return false;
        } else if (pending_.empty()) {
            const long sent = send_some(bytes, take);
            if (sent < 0) return false;
            if (static_cast<std::size_t>(sent) < take) {
                service_.stats().short_writes.add();
                pending_.append(bytes + sent, take - sent);
            }
        } else {
            pending_.append(bytes, take);
        }
        if (!has_room()) service_.stats().backpressure_pauses.add();
        bytes += take;
        n -= take;
    }
    held_.append(bytes, n);
    return true;
}

// The header is gathered by a ProxyHeaderReader (see proxy_header_reader.hpp). Nothing is
// echoed before it is whole; what came after it is the client's and is echoed next.
Connection::Next Connection::take_header(const char* bytes, std::size_t n) {
    const Next next = header_outcome(header_.take(bytes, n));
    if (state_ == State::awaiting_header || next == Next::close) return next;
    return resume();
}

// Still waiting: finish the callback; refused or gone: close; done: the client is known.
Connection::Next Connection::header_outcome(ProxyHeaderReader::Outcome outcome) {
    switch (outcome) {
        case ProxyHeaderReader::Outcome::more: return finish_callback();
        case ProxyHeaderReader::Outcome::refused: return proxy_error(header_.reason(), header_.detail());
        case ProxyHeaderReader::Outcome::gone: return Next::close;
        case ProxyHeaderReader::Outcome::done: break;
    }
    if (header_.header_seen()) service_.stats().proxy_headers.add();
    if (!header_.client().empty()) endpoints_.peer = header_.client();
    held_ = header_.take_rest();
    end_header();
    return Next::wait;
}

void Connection::on_header_timeout() {
    if (header_outcome(header_.timed_out()) == Next::close) {
        close();
        return;
    }
    transport_.call_soon();  // optional: a client that sends nothing until it is greeted is served as it is
}

void Connection::end_header() {
    service_.header_done(header_slot_);
    begin_echo();
}

Connection::Next Connection::proxy_error(Counter Stats::*reason, const std::string& detail) {
    end_ = End::proxy_error;
    service_.proxy_error(reason, transport_.endpoints().peer, detail);
    return Next::close;
}

// A line may arrive in many reads and one read may hold many lines: the prefix goes
// wherever a line starts, and a last line without "\n" is answered like any other.
std::size_t Connection::add_prefixes(const char* in, std::size_t n, char* out) {
    char* next = out;
    for (std::size_t i = 0; i < n; ++i) {
        if (at_line_start_) next = std::copy(prefix_.begin(), prefix_.end(), next);
        *next++ = in[i];
        at_line_start_ = in[i] == '\n';
    }
    return static_cast<std::size_t>(next - out);
}

Interest Connection::interest() const {
    if (state_ == State::stalled) return {};
    if (state_ == State::discarding) return {!peer_finished_, false};
    // Delayed or paced bytes are not waiting for the socket but for the fault timer.
    const bool may_send = !pending_.empty() && (!pacing_ || pacing_->sendable(service_.loop_time_ms()) > 0);
    return {reading() && has_room(), may_send || fin_sent_};
}

Connection::Next Connection::finish_callback() {
    if (error_ != 0) return failed(error_);
    const bool serving = state_ == State::open || state_ == State::half_closed;
    if (serving && fault_.action != FaultPlan::Action::none && sent_ == fault_.after_bytes && transport_.flushed()) {
        const Next next = act_on_fault();
        if (next != Next::wait || state_ != State::discarding) return next;
    }
    if (state_ == State::discarding) fin_once_flushed();  // a send was in flight as it began
    if (state_ == State::discarding && peer_finished_) return end_for(End::fault_close);
    if (state_ == State::half_closed && pending_.empty() && transport_.flushed()) {
        // Half-close done right: everything received has been sent; now send our FIN (a
        // TLS layer first sends its close_notify: closed once that is out too).
        if (!fin_sent_) transport_.shutdown_write();
        fin_sent_ = true;
        if (transport_.flushed()) return Next::close;
    }
    if (fault_.timed()) arm_fault_timer();
    service_.touch(slot_);
    return Next::wait;
}

Connection::Next Connection::failed(int error) {
    end_ = End::reset;
    log::debug("connection ", transport_.endpoints().peer, " ended: ", std::strerror(error));
    return Next::close;
}

}  // namespace echomux
