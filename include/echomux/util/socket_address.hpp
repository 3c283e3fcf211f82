// SPDX-License-Identifier: BSL-1.0
// An IPv4 or IPv6 address and port as the socket calls want it, from text such as
// "127.0.0.1", "::1" or "[::1]". Shared by the server, the tools and the tests.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace echomux {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// nullopt when `host` is not a numeric IPv4/IPv6 address.
std::optional<SocketAddress> parse_socket_address(const std::string& host, std::uint16_t port);

// "127.0.0.1:7007", "[::1]:7007".
std::string describe_address(const std::string& host, std::uint16_t port);

// A socket address as above: a datagram's sender, what accept() or getpeername() gave.
std::string describe_socket_address(const sockaddr_storage& address);

// The two ends of a connected socket, as above ("?" when the socket cannot say).
std::string peer_address(int fd);
std::string local_address(int fd);

// What to do about a bind/listen errno, as " (hint)", or "" when there is nothing to add.
// Shared by the echo listeners and the metrics endpoint, so both say the same.
std::string bind_error_hint(int error);

}  // namespace echomux
