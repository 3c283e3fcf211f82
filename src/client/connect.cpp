#include "client.hpp"

#include "echomux/socket_address.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace echomux::client {

Fd connect_to(const Options& o, bool blocking) {
    const auto address = parse_socket_address(o.host, static_cast<std::uint16_t>(o.port));
    if (!address) throw ClientError("not an IP address: " + o.host);
    Fd fd(::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    const timeval tv{static_cast<time_t>(o.timeout), static_cast<suseconds_t>((o.timeout - static_cast<time_t>(o.timeout)) * 1e6)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), address->get(), address->length) != 0)
        throw ClientError("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
    if (!blocking) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

std::string expected_reply(const Options& o, std::string sent) {
    apply_mode(o.mode, sent.data(), sent.size());
    return sent;
}

}  // namespace echomux::client
