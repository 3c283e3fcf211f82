// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/listener.hpp"

#include "echomux/util/log.hpp"
#include "echomux/util/socket_address.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

namespace {

// The descriptors the service manager passed, as sd_listen_fds(1) finds them: none unless
// LISTEN_PID names this process. Made close-on-exec, like everything else we open.
std::vector<Fd> take_inherited_sockets() {
    constexpr int kFirst = 3;         // SD_LISTEN_FDS_START
    constexpr long kMostFds = 64;     // far above what one ListenStream= plus one ListenDatagram= pass
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    const bool ours = pid && fds && std::strtol(pid, nullptr, 10) == ::getpid();
    std::string count = ours ? fds : "";
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    std::vector<Fd> sockets;
    if (!ours) return sockets;
    char* end = nullptr;
    const long n = std::strtol(count.c_str(), &end, 10);
    if (count.empty() || *end != '\0' || n < 0 || n > kMostFds)
        throw std::runtime_error("socket activation: LISTEN_FDS=" + count + " is not a count of descriptors");
    for (int fd = kFirst; fd < kFirst + n; ++fd) {
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
            throw std::runtime_error("socket activation: LISTEN_FDS=" + count + " but descriptor " +
                                     std::to_string(fd) + " is not open");
        sockets.emplace_back(fd);
    }
    return sockets;
}

int socket_option(const Fd& fd, int option) {
    int value = -1;
    socklen_t length = sizeof value;
    ::getsockopt(fd.get(), SOL_SOCKET, option, &value, &length);
    return value;
}

// One inherited socket for each of `threads` loops: the socket itself, then dups. The loops'
// selectors all watch it; each new connection wakes every idle loop and one accept() wins
// (a thundering herd of at most `threads`, cheap at the thread counts of a 2-core box).
std::vector<Fd> share(Fd socket, unsigned threads) {
    std::vector<Fd> sockets;
    for (unsigned i = 1; i < threads; ++i) {
        Fd copy(::fcntl(socket.get(), F_DUPFD_CLOEXEC, 0));
        if (!copy) fail("duplicate", "the inherited socket " + std::to_string(socket.get()), errno);
        sockets.push_back(std::move(copy));
    }
    sockets.insert(sockets.begin(), std::move(socket));
    return sockets;
}

// The inherited sockets mapped by type (SO_TYPE), checked, made non-blocking and shared.
Listeners adopt_inherited(std::vector<Fd> inherited, const Config& config) {
    Fd tcp, udp;
    for (Fd& fd : inherited) {
        const std::string name = "inherited descriptor " + std::to_string(fd.get());
        sockaddr_storage local{};
        socklen_t length = sizeof local;
        if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
            (local.ss_family != AF_INET && local.ss_family != AF_INET6))
            throw std::runtime_error("socket activation: " + name + " is not an IPv4 or IPv6 socket");
        const int type = socket_option(fd, SO_TYPE);
        Fd& slot = type == SOCK_STREAM ? tcp : udp;
        if (type != SOCK_STREAM && type != SOCK_DGRAM)
            throw std::runtime_error("socket activation: " + name + " is neither a stream nor a datagram socket");
        if (type == SOCK_STREAM && socket_option(fd, SO_ACCEPTCONN) != 1)
            throw std::runtime_error("socket activation: " + name + " is a stream socket that is not listening");
        if (slot)
            throw std::runtime_error("socket activation: more than one " +
                                     std::string(type == SOCK_STREAM ? "stream" : "datagram") + " socket (" +
                                     std::to_string(slot.get()) + " and " + std::to_string(fd.get()) +
                                     "): echomux serves one ListenStream= and at most one ListenDatagram=");
        const int flags = ::fcntl(fd.get(), F_GETFL);
        if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) fail("make non-blocking", name, errno);
        slot = std::move(fd);
    }
    if (!tcp)
        throw std::runtime_error("socket activation: " + std::to_string(inherited.size()) +
                                 " descriptor(s) but no listening stream socket: echomux needs a ListenStream=");

    Listeners result;
    result.inherited = true;
    result.address = local_address(tcp.get());
    result.port = bound_port(tcp);
    const std::string configured = describe_address(config.listen, config.port != 0 ? config.port : result.port);
    log::info("socket activation: serving the inherited socket ", tcp.get(), " on ", result.address,
              configured == result.address ? "" : " instead of " + configured + " (listen, port)");
    result.sockets = share(std::move(tcp), config.threads);

    if (udp && !config.udp) {
        log::warn("socket activation: udp = off, so the inherited datagram socket ", udp.get(), " on ",
                  local_address(udp.get()), " goes unanswered");
        udp.reset();
    }
    result.udp_address = "off";
    if (config.udp && udp) {
        result.udp_address = local_address(udp.get());
        log::info("socket activation: answering UDP on the inherited socket ", udp.get(), " on ", result.udp_address);
        result.udp_sockets = share(std::move(udp), config.threads);
    } else if (config.udp) {  // no ListenDatagram=: the usual twin of the TCP port, bound here
        std::uint16_t port = result.port;
        const auto address = parse_socket_address(config.listen, port);
        if (!address) throw std::runtime_error("not an IP address: " + config.listen);
        result.udp_sockets = bind_all(SOCK_DGRAM, *address, config, &port);
        result.udp_address = describe_address(config.listen, port);
    }
    return result;
}

}  // namespace

Listeners open_listeners(const Config& config) {
    if (std::vector<Fd> inherited = take_inherited_sockets(); !inherited.empty())
        return adopt_inherited(std::move(inherited), config);
    const auto address = parse_socket_address(config.listen, config.port);
    if (!address) throw std::runtime_error("not an IP address: " + config.listen);
    // port = 0 picks a free TCP port, whose UDP twin may be taken: then pick again (bounded).
    constexpr int kAttempts = 16;
    for (int attempt = 1;; ++attempt) {
        Listeners result;
        result.port = config.port;
        result.sockets = bind_all(SOCK_STREAM, *address, config, &result.port);
        result.address = describe_address(config.listen, result.port);
        result.udp_address = config.udp ? result.address : "off";
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
