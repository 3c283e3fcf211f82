#include "client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace echomux::client {

Fd connect_to(const Options& o, bool blocking) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, o.host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(o.port));
        length = sizeof *v4;
    } else if (inet_pton(AF_INET6, o.host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(o.port));
        length = sizeof *v6;
    } else {
        throw ClientError("not an IP address: " + o.host);
    }
    Fd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const timeval tv{static_cast<time_t>(o.timeout), static_cast<suseconds_t>((o.timeout - static_cast<time_t>(o.timeout)) * 1e6)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0)
        throw ClientError("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
    if (!blocking) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

std::string expected_reply(const Options& o, std::string sent) {
    apply_mode(o.mode, sent.data(), sent.size());
    return sent;
}

}  // namespace echomux::client
