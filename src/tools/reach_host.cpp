// SPDX-License-Identifier: BSL-1.0
#include "tools/reach_host.hpp"

#include "echomux/util/printable.hpp"

#include <netdb.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace echomux::tools {
namespace {

// "[::1]", as in a URL or in describe_address()'s output: the resolver wants "::1".
std::string without_brackets(const std::string& host) {
    return host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
}

}  // namespace

std::vector<SocketAddress> resolve_host(const std::string& host, std::uint16_t port, int socket_type) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socket_type;
    // No AI_ADDRCONFIG: it drops ::1 on a host whose only IPv6 address is loopback's.
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int status = ::getaddrinfo(without_brackets(host).c_str(), std::to_string(port).c_str(), &hints, &found);
    if (status != 0)
        throw std::runtime_error("cannot resolve " + printable(host) + ": " +
                                 (status == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(status)));
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, ::freeaddrinfo);
    std::vector<SocketAddress> addresses;
    for (const addrinfo* a = found; a; a = a->ai_next) {
        if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
        SocketAddress address;
        std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
        address.length = a->ai_addrlen;
        addresses.push_back(address);
    }
    if (addresses.empty()) throw std::runtime_error("cannot resolve " + printable(host) + ": no address");
    return addresses;
}

Fd connect_in_turn(const std::vector<SocketAddress>& addresses, std::size_t& from, const std::string& host,
                   std::uint16_t port, const std::function<void(int fd)>& before_connect, double timeout_seconds) {
    int error = 0;
    for (std::size_t i = from; i < addresses.size(); ++i) {
        const SocketAddress& address = addresses[i];
        Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd) {
            error = errno;
            continue;
        }
        if (before_connect) before_connect(fd.get());
        if (::connect(fd.get(), address.get(), address.length) == 0) {
            from = i;
            return fd;
        }
        error = errno;
    }
    std::string tried;
    if (addresses.size() > 1) {
        for (std::size_t i = from; i < addresses.size(); ++i)
            tried += (tried.empty() ? " (tried " : ", ") + describe_socket_address(addresses[i].storage);
        tried += ")";
    }
    // A connect cut short by SO_SNDTIMEO fails with EINPROGRESS (or EAGAIN).
    std::string why = std::strerror(error);
    if (timeout_seconds > 0 && (error == EINPROGRESS || error == EAGAIN)) {
        char text[64];
        std::snprintf(text, sizeof text, "timed out after %g s", timeout_seconds);
        why = text;
    }
    throw std::runtime_error("cannot connect to " + printable(describe_address(without_brackets(host), port)) + ": " +
                             why + tried);
}

}  // namespace echomux::tools
