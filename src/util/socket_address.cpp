// SPDX-License-Identifier: BSL-1.0
#include "echomux/util/socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>

namespace echomux {

std::string describe_socket_address(const sockaddr_storage& s) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (s.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(s);
        // An IPv4 client of a dual-stack socket (listen = ::) is still an IPv4 client: named
        // as people write it, as Go's net.IP.String() does, not [::ffff:127.0.0.1].
        if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) {
            ::inet_ntop(AF_INET, a.sin6_addr.s6_addr + 12, ip, sizeof ip);
            return std::string(ip) + ":" + std::to_string(ntohs(a.sin6_port));
        }
        ::inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
        return "[" + std::string(ip) + "]:" + std::to_string(ntohs(a.sin6_port));
    }
    const auto& a = reinterpret_cast<const sockaddr_in&>(s);
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

namespace {

template <class GetName>
std::string address_of(int fd, GetName get_name) {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    return get_name(fd, reinterpret_cast<sockaddr*>(&s), &len) == 0 ? describe_socket_address(s) : "?";
}

}  // namespace

std::string peer_address(int fd) { return address_of(fd, ::getpeername); }
std::string local_address(int fd) { return address_of(fd, ::getsockname); }

std::optional<SocketAddress> parse_socket_address(const std::string& text, std::uint16_t port) {
    std::string host = text;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.length = sizeof *v4;
        return a;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.length = sizeof *v6;
        return a;
    }
    return std::nullopt;
}

std::string describe_address(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string bind_error_hint(int error) {
    if (error == EADDRINUSE) return " (another process is listening there; choose another port)";
    if (error == EACCES) return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    if (error == EADDRNOTAVAIL) return " (no interface has that address)";
    return "";
}

}  // namespace echomux
