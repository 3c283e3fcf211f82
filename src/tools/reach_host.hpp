// SPDX-License-Identifier: BSL-1.0
// Reaching a server by name for echomux-client and echomux-bench: "localhost", a DNS name,
// or a numeric IPv4/IPv6 address ("127.0.0.1", "::1", "[::1]") turned into socket
// addresses, and a TCP connection to the first of them that accepts, as clients do.
#pragma once

#include "echomux/util/fd.hpp"
#include "echomux/util/socket_address.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace echomux::tools {

// Every address of `host` for `socket_type` (SOCK_STREAM, SOCK_DGRAM), IPv4 and IPv6, in
// getaddrinfo's order (RFC 6724: the one to try first comes first); never empty. Throws
// std::runtime_error "cannot resolve HOST: why". A name may wait on DNS, as long as
// resolv.conf's timeout and attempts allow.
std::vector<SocketAddress> resolve_host(const std::string& host, std::uint16_t port, int socket_type);

// A blocking TCP socket connected to the first of addresses[from...] that accepts,
// `before_connect(fd)` run on each socket first (send/receive timeouts also bound connect).
// `from` is left at the address that accepted, so later connections can go where the first
// went. Throws std::runtime_error "cannot connect to HOST:PORT: why" (with the addresses
// tried when there were several). `timeout_seconds`: the send timeout before_connect set, so
// that a connect it cut short says "timed out after N s".
Fd connect_in_turn(const std::vector<SocketAddress>& addresses, std::size_t& from, const std::string& host,
                   std::uint16_t port, const std::function<void(int fd)>& before_connect = {},
                   double timeout_seconds = 0);

}  // namespace echomux::tools
