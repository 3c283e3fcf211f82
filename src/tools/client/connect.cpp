// SPDX-License-Identifier: BSL-1.0
#include "client.hpp"

#include "tools/reach_host.hpp"

#include <fcntl.h>
#include <sys/socket.h>

namespace echomux::client {

Fd connect_to(const Options& o, bool blocking) {
    const auto port = static_cast<std::uint16_t>(o.port);
    const auto addresses = tools::resolve_host(o.host, port, SOCK_STREAM);
    const timeval tv{static_cast<time_t>(o.timeout),
                     static_cast<suseconds_t>((o.timeout - static_cast<time_t>(o.timeout)) * 1e6)};
    std::size_t from = 0;
    // The send timeout bounds connect() too, so an address that swallows SYNs costs one timeout.
    Fd fd = tools::connect_in_turn(addresses, from, o.host, port, [&tv](int s) {
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    });
    if (!blocking) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

std::string expected_reply(const Options& o, std::string sent) {
    apply_mode(o.mode, sent.data(), sent.size());
    return sent;
}

}  // namespace echomux::client
