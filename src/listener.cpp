#include "echomux/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace echomux {
namespace {

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Address make_address(const std::string& host, std::uint16_t port) {
    Address a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.length = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.length = sizeof *v6;
    } else {
        throw std::runtime_error("not an IP address: " + host);
    }
    return a;
}

std::string describe(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

[[noreturn]] void fail(const std::string& what, const std::string& where, int error) {
    std::string hint;
    if (error == EADDRINUSE) hint = " (another process is listening there; choose another port)";
    if (error == EACCES) hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    if (error == EADDRNOTAVAIL) hint = " (no interface has that address)";
    throw std::runtime_error("cannot " + what + " " + where + ": " + std::strerror(error) + hint);
}

Fd bind_socket(const Address& address, const std::string& where, bool reuse_port, int backlog) {
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
    Address address = make_address(config.listen, config.port);
    const bool shared = config.threads > 1;
    // Sockets with SO_REUSEPORT under one user all share a port silently, so a second
    // echomux would steal half our connections instead of failing. Bind once without it
    // first: that fails exactly when someone already listens there.
    Fd first = bind_socket(address, describe(config.listen, config.port), false, config.backlog);
    result.port = bound_port(first);
    result.address = describe(config.listen, result.port);
    if (!shared) {
        result.sockets.push_back(std::move(first));
        return result;
    }
    first.reset();
    address = make_address(config.listen, result.port);  // port = 0: all threads on the one picked
    for (unsigned i = 0; i < config.threads; ++i)
        result.sockets.push_back(bind_socket(address, result.address, true, config.backlog));
    return result;
}

}  // namespace echomux
