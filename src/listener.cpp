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

Fd bind_socket(const SocketAddress& address, const std::string& where, bool reuse_port, int backlog) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) fail("create a socket for", where, errno);
    const int on = 1, off = 0;
    // SO_REUSEADDR: restart at once even while old connections sit in TIME_WAIT.
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        fail("set SO_REUSEPORT on", where, errno);
    // "::" serves IPv4 too, whatever net.ipv6.bindv6only says.
    if (address.family() == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (::bind(fd.get(), address.get(), address.length) != 0) fail("listen on", where, errno);
    if (::listen(fd.get(), backlog) != 0) fail("listen on", where, errno);
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

Listeners open_listeners(const Config& config) {
    Listeners result;
    auto address = parse_socket_address(config.listen, config.port);
    if (!address) throw std::runtime_error("not an IP address: " + config.listen);
    const bool shared = config.threads > 1;
    // Sockets with SO_REUSEPORT under one user all share a port silently, so a second
    // echomux would steal half our connections instead of failing. Bind once without it
    // first: that fails exactly when someone already listens there.
    Fd first = bind_socket(*address, describe_address(config.listen, config.port), false, config.backlog);
    result.port = bound_port(first);
    result.address = describe_address(config.listen, result.port);
    if (!shared) {
        result.sockets.push_back(std::move(first));
        return result;
    }
    first.reset();
    address = parse_socket_address(config.listen, result.port);  // port = 0: all threads on the one picked
    for (unsigned i = 0; i < config.threads; ++i)
        result.sockets.push_back(bind_socket(*address, result.address, true, config.backlog));
    return result;
}

}  // namespace echomux
