// SPDX-License-Identifier: BSL-1.0
#include "client.hpp"

#include "tools/greeting.hpp"
#include "tools/reach_host.hpp"

#include "echomux/util/printable.hpp"

#include <fcntl.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>

namespace echomux::client {

namespace {

Fd connect_to(const Options& o) {
    const auto port = static_cast<std::uint16_t>(o.port);
    const auto addresses = tools::resolve_host(o.host, port, SOCK_STREAM);
    const timeval tv{static_cast<time_t>(o.timeout),
                     static_cast<suseconds_t>((o.timeout - static_cast<time_t>(o.timeout)) * 1e6)};
    std::size_t from = 0;
    // The send timeout bounds connect() too, so an address that swallows SYNs costs one timeout.
    Fd fd = tools::connect_in_turn(
        addresses, from, o.host, port,
        [&tv](int s) {
            ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        },
        o.timeout);
    return fd;
}

std::string quoted(const std::string& text) { return "'" + printable(text) + "'"; }

}  // namespace

Session open_session(const Options& o, bool blocking) {
    Session s{tools::open_stream(connect_to(o), o.tls_context.get(), o.host), {}, tools::ReplyForm(o.mode, o.prefix), {}};
    if (const auto* tls = dynamic_cast<const tools::TlsStream*>(s.stream.get())) s.tls = tls->description();
    try {
        if (o.greeting_lines) {
            s.greeting = tools::read_greeting(*s.stream, *o.greeting_lines, o.timeout);
        } else {
            tools::ProbeAnswer answer = tools::probe(*s.stream, o.timeout);
            const std::string expected = o.mode == Mode::prefix ? o.prefix : "";
            if (answer.prefix != expected)
                throw ClientError("the server put " + quoted(answer.prefix) + " before the probe's echo, not " +
                                  quoted(expected) + (o.mode == Mode::prefix ? " (--prefix)" : ": is it in prefix mode?"));
            s.greeting = std::move(answer.greeting);
        }
    } catch (const ClientError&) {
        throw;
    } catch (const std::runtime_error& e) {
        throw ClientError(e.what());
    }
    if (!blocking) ::fcntl(s.stream->fd(), F_SETFL, ::fcntl(s.stream->fd(), F_GETFL) | O_NONBLOCK);
    return s;
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

ClientError io_error(const Options& o, const tools::Stream& stream, const std::string& doing) {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return ClientError("timed out after " + seconds_text(o.timeout) + " s " + doing);
    return ClientError(doing + ": " + stream.why(error));
}

ClientError io_error(const Options& o, const std::string& doing) {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return ClientError("timed out after " + seconds_text(o.timeout) + " s " + doing);
    return ClientError(doing + ": " + std::strerror(error));
}

void send_all(const Options& o, tools::Stream& stream, const std::string& bytes) {
    for (std::size_t at = 0; at < bytes.size();) {
        const ssize_t n = stream.send(bytes.data() + at, bytes.size() - at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw io_error(o, stream, "sending");
        at += static_cast<std::size_t>(n);
    }
}

std::string expected_reply(const Options& o, std::string sent) {
    if (o.mode == Mode::prefix) return o.prefix + sent;
    apply_mode(o.mode, sent.data(), sent.size());
    return sent;
}

}  // namespace echomux::client
