// UDP echo client: each text (or each line of stdin) goes out as one datagram; its reply is
// printed. A datagram may be lost either way, so each is sent again after `timeout` up to
// `retries` times; what never came back is reported as lost (exit status 1).
#include "client.hpp"

#include "echomux/socket_address.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>

namespace echomux::client {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxDatagram = 65507;  // the largest IPv4 UDP payload

Fd connect_udp(const Options& o) {
    const auto address = parse_socket_address(o.host, static_cast<std::uint16_t>(o.port));
    if (!address) throw ClientError("not an IP address: " + o.host);
    Fd fd(::socket(address->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    // Connected: only the server's datagrams arrive, and ICMP port unreachable is reported.
    if (!fd || ::connect(fd.get(), address->get(), address->length) != 0)
        throw ClientError("cannot reach " + describe_address(o.host, o.port) + ": " + std::strerror(errno));
    return fd;
}

[[noreturn]] void refused(const Options& o) {
    throw ClientError("no UDP echo server at " + describe_address(o.host, o.port) + " (ICMP port unreachable)");
}

// Waits up to timeout for `expected`; other datagrams (late replies to earlier attempts)
// are skipped. True when it came.
bool await_reply(int fd, const Options& o, const std::string& expected, std::string& buffer) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(o.timeout);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;  // EINTR or time up: the deadline decides
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0 && errno == ECONNREFUSED) refused(o);
        if (n < 0) continue;
        if (static_cast<std::size_t>(n) == expected.size() && buffer.compare(0, expected.size(), expected) == 0)
            return true;
        std::cerr << "ignoring a datagram that is not the expected reply (" << n << " bytes)\n";
    }
}

}  // namespace

int udp_client(const Options& o) {
    Fd fd = connect_udp(o);
    std::string buffer(65536, '\0');
    std::uint64_t sent = 0, answered = 0;
    auto send_one = [&](const std::string& text) {
        if (text.size() > kMaxDatagram)
            throw ClientError(std::to_string(text.size()) + " bytes do not fit in one datagram (65507 at most)");
        const std::string expected = expected_reply(o, text);
        ++sent;
        for (int attempt = 0; attempt <= o.retries; ++attempt) {
            if (::send(fd.get(), text.data(), text.size(), 0) < 0) {
                if (errno == ECONNREFUSED) refused(o);
                throw ClientError(std::string("send failed: ") + std::strerror(errno));
            }
            if (await_reply(fd.get(), o, expected, buffer)) {
                ++answered;
                std::cout << expected << "\n" << std::flush;
                return;
            }
        }
        std::cerr << "no reply to '" << text << "' after " << o.retries + 1 << " attempt(s)\n";
    };
    if (!o.texts.empty()) {
        for (const auto& text : o.texts) send_one(text);
    } else {
        for (std::string line; std::getline(std::cin, line);) send_one(line);
    }
    const std::uint64_t lost = sent - answered;
    std::cerr << "udp: " << sent << " sent, " << answered << " answered, " << lost << " lost ("
              << (sent ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent) : 0.0) << "%)\n";
    return lost == 0 ? 0 : 1;
}

}  // namespace echomux::client
