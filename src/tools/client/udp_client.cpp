// SPDX-License-Identifier: BSL-1.0
// UDP echo client: each text (or each line of stdin) goes out as one datagram; its reply is
// printed. A datagram may be lost either way, so each is sent again after `timeout` up to
// `retries` times; what never came back is reported as lost (exit status 1).
#include "client.hpp"

#include "tools/reach_host.hpp"
#include "tools/wrong_echo.hpp"

#include "echomux/util/socket_address.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <vector>

namespace echomux::client {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxDatagram = 65507;  // the largest IPv4 UDP payload

// The server's addresses and a socket connected to one of them. Connected: only the
// server's datagrams arrive, and ICMP port unreachable is reported. A name's addresses are
// tried in turn, as TCP's are: "localhost" may give ::1 first, and the server listen on
// 0.0.0.0 only.
class UdpPeer {
public:
    explicit UdpPeer(const Options& o)
        : o_(o), addresses_(tools::resolve_host(o.host, static_cast<std::uint16_t>(o.port), SOCK_DGRAM)) {
        connect_current();
    }
    int fd() const { return fd_.get(); }
    // After ICMP port unreachable: on to the next address, or no server at all.
    void next_after_refusal() {
        if (++at_ == addresses_.size())
            throw ClientError("no UDP echo server at " + describe_address(o_.host, o_.port) +
                              " (ICMP port unreachable)");
        connect_current();
    }

private:
    void connect_current() {
        const SocketAddress& address = addresses_[at_];
        fd_.reset(::socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!fd_ || ::connect(fd_.get(), address.get(), address.length) != 0)
            throw ClientError("cannot reach " + describe_socket_address(address.storage) + ": " + std::strerror(errno));
    }

    const Options& o_;
    const std::vector<SocketAddress> addresses_;
    std::size_t at_ = 0;
    Fd fd_;
};

enum class Outcome { replied, timed_out, refused };

// Waits up to timeout for `expected`; other datagrams (late replies to earlier attempts)
// are skipped.
Outcome await_reply(int fd, const Options& o, const std::string& expected, std::string& buffer) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(o.timeout);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return Outcome::timed_out;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;  // EINTR or time up: the deadline decides
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0 && errno == ECONNREFUSED) return Outcome::refused;
        if (n < 0) continue;
        if (static_cast<std::size_t>(n) == expected.size() && buffer.compare(0, expected.size(), expected) == 0)
            return Outcome::replied;
        std::cerr << "ignoring a datagram that is not the expected reply: "
                  << tools::describe_wrong_echo(expected, std::string_view(buffer.data(), static_cast<std::size_t>(n)))
                  << "\n";
    }
}

}  // namespace

int udp_client(const Options& o) {
    UdpPeer peer(o);
    std::string buffer(65536, '\0');
    std::uint64_t sent = 0, answered = 0;
    auto send_one = [&](const std::string& text) {
        if (text.size() > kMaxDatagram)
            throw ClientError(std::to_string(text.size()) + " bytes do not fit in one datagram (65507 at most)");
        const std::string expected = expected_reply(o, text);
        ++sent;
        // Bounded: each pass counts an attempt, returns, or moves to the next address (of a few).
        for (int attempt = 0; attempt <= o.retries;) {
            Outcome outcome = Outcome::refused;
            if (::send(peer.fd(), text.data(), text.size(), 0) >= 0)
                outcome = await_reply(peer.fd(), o, expected, buffer);
            else if (errno != ECONNREFUSED)
                throw ClientError(std::string("send failed: ") + std::strerror(errno));
            if (outcome == Outcome::replied) {
                ++answered;
                std::cout << expected << "\n" << std::flush;
                return;
            }
            if (outcome == Outcome::refused)
                peer.next_after_refusal();
            else
                ++attempt;
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
