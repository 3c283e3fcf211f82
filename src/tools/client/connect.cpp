// SPDX-License-Identifier: BSL-1.0
#include "client.hpp"

#include "tools/reach_host.hpp"

#include <fcntl.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>

namespace echomux::client {

Fd connect_to(const Options& o, bool blocking) {
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
    if (!blocking) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

ClientError io_error(const Options& o, const std::string& doing) {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return ClientError("timed out after " + seconds_text(o.timeout) + " s " + doing);
    return ClientError(doing + ": " + std::strerror(error));
}

std::string expected_reply(const Options& o, std::string sent) {
    apply_mode(o.mode, sent.data(), sent.size());
    return sent;
}

}  // namespace echomux::client
