#include "echomux/connection.hpp"

#include "echomux/echo_protocol.hpp"
#include "echomux/log.hpp"
#include "echomux/proxy_header.hpp"
#include "echomux/service.hpp"
#include "echomux/socket_address.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace echomux {
namespace {
// Reads per on_read(drain = true) before other connections get a turn.
constexpr int kReadsPerTurn = 16;
}  // namespace

Connection::Connection(Service& service, int fd)
    : service_(service),
      fd_(fd),
      mode_(service.config().mode),
      proxy_(service.config().proxy_protocol),
      access_log_(service.config().access_log),
      pending_(service.config().max_buffer_bytes),
      slot_(service_.attach(*this)) {
    if (access_log_ || service_.prefix().per_connection() || service_.greeting().per_connection()) {
        peer_ = peer_address(fd_);
        local_ = local_address(fd_);
    }
    started_ms_ = Service::now_ms();
    if (proxy_ == ProxyProtocol::off) {
        begin_echo();
    } else {
        state_ = State::awaiting_header;
        header_slot_ = service_.await_header(*this);
    }
}

void Connection::begin_echo() {
    state_ = State::open;
    if (mode_ == Mode::prefix) {
        prefix_ = service_.prefix().fill(peer_, local_);
        // An environment value may be long: keep half the buffer for the line itself.
        prefix_.resize(std::min(prefix_.size(), pending_.limit() / 2));
        growth_ = prefix_.size() + 1;
    }
    if (!service_.greeting().empty()) greet();
}

// The greeting goes out at once: nothing has been sent yet, so the socket's send buffer is
// empty. What it does not take waits like any reply (and is cut to max_buffer_bytes, which
// a 1 KiB greeting exceeds only when configured absurdly small).
void Connection::greet() {
    const std::string line = service_.greeting().fill(peer_, local_) + "\n";
    const long sent = send_some(line.data(), line.size());
    if (sent < 0) return;  // the first read finds out why
    const std::size_t rest = std::min(line.size() - static_cast<std::size_t>(sent), pending_.space());
    pending_.append(line.data() + sent, rest);
}

Connection::~Connection() {
    if (state_ == State::awaiting_header) service_.header_done(header_slot_);
    if (state_ != State::closed) service_.detach(slot_);
}

const char* Connection::end_name(End end) {
    switch (end) {
        case End::eof: return "eof";
        case End::idle: return "idle";
        case End::drain: return "drain";
        case End::reset: return "reset";
        case End::proxy_error: return "proxy_error";
    }
    return "?";
}

void Connection::close(End why) {
    if (state_ == State::closed) return;
    if (state_ == State::awaiting_header) service_.header_done(header_slot_);
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
    }
    const long long duration_ms = Service::now_ms() - started_ms_;
    service_.stats().connection_ms.observe(static_cast<std::uint64_t>(duration_ms));
    service_.stats().connection_bytes.observe(received_);
    if (access_log_)
        service_.log_access(peer_, local_, received_, sent_, duration_ms, end_name(end_));
    state_ = State::closed;
    service_.detach(slot_);
    release();
}

long Connection::send_some(const char* bytes, std::size_t n) {
    for (;;) {
        // MSG_NOSIGNAL: a peer that went away is an EPIPE for this connection, not a
        // SIGPIPE for the process.
        const ssize_t sent = ::send(fd_, bytes, n, MSG_NOSIGNAL);
        if (sent >= 0) {
            service_.stats().bytes_sent.add(static_cast<std::uint64_t>(sent));
            sent_ += static_cast<std::uint64_t>(sent);
            return sent;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

bool Connection::send_pending() {
    while (!pending_.empty()) {
        const long sent = send_some(pending_.data(), pending_.size());
        if (sent < 0) return false;
        const bool short_write = static_cast<std::size_t>(sent) < pending_.size();
        pending_.consume(static_cast<std::size_t>(sent));
        if (short_write) {  // the socket buffer is full: on_write comes when it drains
            service_.stats().short_writes.add();
            break;
        }
    }
    return true;
}

Connection::Next Connection::on_read(bool drain) {
    try {
        return read(drain);
    } catch (const std::bad_alloc&) {
        // No memory for this client's buffer: end this connection, not the loop with
        // every other client on it.
        return fail(ENOMEM);
    }
}

Connection::Next Connection::read(bool drain) {
    if (state_ == State::awaiting_header) {
        const Next next = read_header();
        if (state_ != State::open) return next;
    }
    for (int reads = 0; state_ == State::open && has_room(); ++reads) {
        if (reads == kReadsPerTurn) {
            service_.touch(slot_);
            return Next::again;
        }
        // With nothing waiting, read into the loop's scratch space and send straight back:
        // the common case copies nothing and keeps no per-connection memory. Otherwise the
        // bytes queue behind the waiting ones, which on_write sends. Prefixed lines are
        // built in the buffer from the scratch space, so no more is read than fits.
        const bool prefixed = mode_ == Mode::prefix;
        const bool direct = pending_.empty() && !prefixed;
        const std::size_t want = std::min(service_.read_size(), pending_.space() / growth_);
        char* into = direct || prefixed ? service_.scratch() : pending_.prepare(want);
        const ssize_t n = receive(into, want);
        if (n == 0) {
            state_ = State::half_closed;
        } else if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return fail(errno);
        } else {
            const auto got = static_cast<std::size_t>(n);
            service_.stats().bytes_received.add(got);
            received_ += got;
            apply_mode(mode_, into, got);
            if (prefixed) {
                pending_.commit(add_prefixes(into, got, pending_.prepare(got * growth_)));
                if (!send_pending()) return fail(errno);
            } else if (direct) {
                const long sent = send_some(into, got);
                if (sent < 0) return fail(errno);
                if (static_cast<std::size_t>(sent) < got) {
                    service_.stats().short_writes.add();
                    pending_.append(into + sent, got - sent);
                }
            } else {
                pending_.commit(got);
            }
            if (!has_room()) service_.stats().backpressure_pauses.add();
        }
        if (!drain) break;
    }
    const Next next = finish_callback();
    // Bytes that came with the header are not "readable" to any selector: ask to be called.
    if (next == Next::wait && !unread_.empty() && state_ == State::open && has_room()) return Next::again;
    return next;
}

ssize_t Connection::receive(char* into, std::size_t want) {
    if (unread_.empty()) return peer_finished_ ? 0 : ::recv(fd_, into, want, 0);
    const std::size_t n = std::min(want, unread_.size());
    std::memcpy(into, unread_.data(), n);
    unread_.erase(0, n);
    if (unread_.empty()) std::string().swap(unread_);
    return static_cast<ssize_t>(n);
}

// The header is read into its own small buffer and parsed from its first byte each time
// (see proxy_header.hpp), so it may arrive in any fragmentation. Nothing is echoed before
// it is whole; what came after it in the same read is the client's and is echoed next.
Connection::Next Connection::read_header() {
    char chunk[proxy::kMaxHeaderBytes];
    proxy::Header header;
    // Until the header is decided or the socket would block: edge-triggered readiness
    // reports nothing more for bytes (or an EOF) that are already there.
    do {
        const ssize_t n = ::recv(fd_, chunk, proxy::kMaxHeaderBytes - header_.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return finish_callback();
            return fail(errno);
        }
        if (n == 0) {
            // A health check that connects and leaves is no error; half a header is.
            if (proxy_ == ProxyProtocol::required) {
                if (header_.empty()) return Next::close;
                return proxy_error(&Stats::proxy_truncated, "the connection ended inside the header");
            }
            peer_finished_ = true;  // optional: what came is the client's, then its EOF
            unread_.swap(header_);
            end_header();
            return Next::wait;
        }
        header_.append(chunk, static_cast<std::size_t>(n));
        header = proxy::parse(header_.data(), header_.size());
    } while (header.status == proxy::Status::incomplete);

    switch (header.status) {
        case proxy::Status::invalid:
            return proxy_error(header.error == proxy::Error::oversized ? &Stats::proxy_oversized : &Stats::proxy_malformed,
                               header.detail);
        case proxy::Status::not_proxy:
            if (proxy_ == ProxyProtocol::required)
                return proxy_error(&Stats::proxy_missing, "no PROXY header (proxy_protocol = required)");
            unread_.swap(header_);
            break;
        case proxy::Status::complete:
            service_.stats().proxy_headers.add();
            if (!header.client.empty()) peer_ = header.client;
            unread_.assign(header_, header.length, std::string::npos);
            break;
        case proxy::Status::incomplete:
            break;  // not reached: the loop above ends only on a decision
    }
    end_header();
    return Next::wait;
}

void Connection::on_header_timeout() {
    if (proxy_ == ProxyProtocol::required) {
        proxy_error(&Stats::proxy_timeout, "no whole header within proxy_header_timeout");
        close();
        return;
    }
    // optional: a client that sends nothing until it is greeted is served as it is.
    unread_.swap(header_);
    end_header();
    call_soon();
}

void Connection::end_header() {
    std::string().swap(header_);
    service_.header_done(header_slot_);
    begin_echo();
}

Connection::Next Connection::proxy_error(Counter Stats::*reason, const std::string& detail) {
    end_ = End::proxy_error;
    service_.proxy_error(reason, peer_address(fd_), detail);
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

Connection::Next Connection::on_write() {
    const bool was_full = !has_room();
    if (!send_pending()) return fail(errno);
    const Next next = finish_callback();
    // Reading stopped while the buffer was full; readiness that arrived meanwhile may not
    // be reported again (edge-triggered loops), so ask for a read now.
    if (next == Next::wait && was_full && has_room() && state_ == State::open) return Next::again;
    return next;
}

Connection::Next Connection::finish_callback() {
    if (state_ == State::half_closed && pending_.empty()) {
        // Half-close done right: everything received has been sent; now send our FIN.
        ::shutdown(fd_, SHUT_WR);
        return Next::close;
    }
    service_.touch(slot_);
    return Next::wait;
}

Connection::Next Connection::fail(int error) {
    end_ = End::reset;
    log::debug("connection fd ", fd_, " ended: ", std::strerror(error));
    return Next::close;
}

}  // namespace echomux
