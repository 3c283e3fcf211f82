#include "echomux/listener.hpp"

#include "echomux/socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace echomux {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& where, int error) {
    throw std::runtime_error("cannot " + what + " " + where + ": " + std::strerror(error) + bind_error_hint(error));
}

Fd bind_socket(int type, const SocketAddress& address, const std::string& where, bool reuse_port, int backlog) {
    const std::string what = type == SOCK_DGRAM ? "listen for UDP on" : "listen on";
    Fd fd(::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) fail("create a socket for", where, errno);
    const int on = 1, off = 0;
    // SO_REUSEADDR: restart at once even while old connections sit in TIME_WAIT. Not for
    // UDP, where it would let a second process bind the same port and take our datagrams.
    if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        fail("set SO_REUSEPORT on", where, errno);
    // "::" serves IPv4 too, whatever net.ipv6.bindv6only says.
    if (address.family() == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (::bind(fd.get(), address.get(), address.length) != 0) fail(what, where, errno);
    if (type == SOCK_STREAM && ::listen(fd.get(), backlog) != 0) fail(what, where, errno);
    return fd;
}

std::uint16_t bound_port(const Fd& fd) {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&s), &len);
    return ntohs(s.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&s)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&s)->sin_port);
}

}  // namespace

namespace {

// One socket of `type` per thread on `address`. Sockets with SO_REUSEPORT under one user
// all share a port silently, so a second echomux would steal half our connections instead
// of failing. Bind once without it first: that fails exactly when someone already listens.
std::vector<Fd> bind_all(int type, SocketAddress address, const Config& config, std::uint16_t* port) {
    const bool shared = config.threads > 1;
    std::vector<Fd> sockets;
    Fd first = bind_socket(type, address, describe_address(config.listen, *port), false, config.backlog);
    *port = bound_port(first);
    if (!shared) {
        sockets.push_back(std::move(first));
        return sockets;
    }
    first.reset();
    address = *parse_socket_address(config.listen, *port);  // port = 0: all threads on the one picked
    for (unsigned i = 0; i < config.threads; ++i)
        sockets.push_back(bind_socket(type, address, describe_address(config.listen, *port), true, config.backlog));
    return sockets;
}

}  // namespace

Listeners open_listeners(const Config& config) {
    const auto address = parse_socket_address(config.listen, config.port);
    if (!address) throw std::runtime_error("not an IP address: " + config.listen);
    // port = 0 picks a free TCP port, whose UDP twin may be taken: then pick again (bounded).
    constexpr int kAttempts = 16;
    for (int attempt = 1;; ++attempt) {
        Listeners result;
        result.port = config.port;
        result.sockets = bind_all(SOCK_STREAM, *address, config, &result.port);
        result.address = describe_address(config.listen, result.port);
        if (!config.udp) return result;
        try {
            std::uint16_t udp_port = result.port;
            result.udp_sockets = bind_all(SOCK_DGRAM, *parse_socket_address(config.listen, udp_port), config, &udp_port);
            return result;
        } catch (const std::runtime_error&) {
            if (config.port != 0 || attempt == kAttempts) throw;
        }
    }
}

}  // namespace echomux
