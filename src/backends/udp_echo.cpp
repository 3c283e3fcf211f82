// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/udp_echo.hpp"

#include "echomux/core/fault_plan.hpp"
#include "echomux/core/pacing.hpp"
#include "echomux/util/socket_address.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace echomux {
namespace {

// Datagrams per readiness turn: a UDP flood must leave the loop's TCP clients their turn.
constexpr int kDatagramsPerTurn = 64;
// Larger than any UDP payload (IPv6: 65,527), so a datagram is never cut short on receipt.
constexpr std::size_t kReceiveBytes = 65536;

std::uint16_t port_of(const sockaddr_storage& s) {
    return ntohs(s.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(s).sin6_port
                                         : reinterpret_cast<const sockaddr_in&>(s).sin_port);
}

}  // namespace

UdpEcho::UdpEcho(Service& service)
    : service_(service),
      stats_(service.stats()),
      rate_limit_(service.config().udp_rate_per_source, service.config().udp_rate_ipv6_prefix),
      datagram_(kReceiveBytes) {}

UdpEcho::~UdpEcho() { service_.cancel_timer(timer_); }  // held replies go with the loop: UDP promises none

bool UdpEcho::blocked_source_port(std::uint16_t port) {
    switch (port) {
        case 0:   // not a port anyone can answer on: spoofed
        case 7:   // echo
        case 13:  // daytime
        case 17:  // qotd
        case 19:  // chargen
        case 37:  // time
            return true;
    }
    return false;
}

bool UdpEcho::on_read(int fd) {
    const long long now = service_.now_ms();
    for (int i = 0; i < kDatagramsPerTurn; ++i) {
        sockaddr_storage sender{};
        socklen_t sender_length = sizeof sender;
        const ssize_t n = ::recvfrom(fd, datagram_.data(), datagram_.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&sender), &sender_length);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
            continue;  // EINTR, or an error the socket reported once (ENOMEM): the next one may work
        }
        answer(fd, sender, sender_length, static_cast<std::size_t>(n), now);
    }
    return true;
}

void UdpEcho::answer(int fd, const sockaddr_storage& sender, socklen_t sender_length, std::size_t n,
                     long long now_ms) {
    stats_.udp_received.add();
    stats_.udp_bytes_received.add(n);
    if (blocked_source_port(port_of(sender))) return stats_.udp_blocked_port.add();
    if (!rate_limit_.allow(sender, now_ms)) return stats_.udp_rate_limited.add();

    const Config& config = service_.config();
    std::string prefix;
    if (config.mode == Mode::prefix) {
        if (local_.empty()) local_ = local_address(fd);
        prefix = service_.prefix().fill(describe_socket_address(sender), local_);
        // Cut short, the reply would no longer be the datagram after the prefix: a reply
        // that is not what it claims is worse than none for a diagnostic tool.
        if (prefix.size() + n > kMaxReply) return stats_.udp_too_large.add();
    }
    apply_mode(config.mode, datagram_.data(), n);
    if (config.udp_drop > 0 && std::bernoulli_distribution(config.udp_drop)(service_.random()))
        return stats_.udp_fault_dropped.add();
    if (config.delay > 0) {
        fd_ = fd;
        return hold(sender, sender_length, prefix, n);
    }
    iovec parts[2] = {{prefix.data(), prefix.size()}, {datagram_.data(), n}};
    // Gathered: the datagram is never copied.
    if (prefix.empty()) send_reply(fd, sender, sender_length, parts + 1, 1);
    else send_reply(fd, sender, sender_length, parts, 2);
}

void UdpEcho::send_reply(int fd, const sockaddr_storage& sender, socklen_t sender_length, iovec* parts,
                         std::size_t count) {
    msghdr message{};
    message.msg_name = const_cast<sockaddr_storage*>(&sender);
    message.msg_namelen = sender_length;
    message.msg_iov = parts;
    message.msg_iovlen = count;
    // Loop threads block signals, so no EINTR; EAGAIN (the send buffer is full) and any
    // other failure drop the reply.
    const ssize_t sent = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) return stats_.udp_send_errors.add();
    stats_.udp_sent.add();
    stats_.udp_bytes_sent.add(static_cast<std::uint64_t>(sent));
}

// Held in arrival order and sent in it (a release time never goes back), within
// max_buffer_bytes for the whole loop: past it, dropped (UDP has no backpressure to apply).
void UdpEcho::hold(const sockaddr_storage& sender, socklen_t sender_length, const std::string& prefix,
                   std::size_t n) {
    const Config& config = service_.config();
    if (held_bytes_ + prefix.size() + n > config.max_buffer_bytes) return stats_.udp_delay_full.add();
    const FaultPlan delay = fault_plan(config, false);  // the listener's delay and jitter, in ms
    // + 1: the clock counts whole milliseconds, and no reply goes a fraction early.
    last_release_ms_ = std::max(last_release_ms_, service_.now_ms() + 1 +
                                                      draw_delay_ms(delay.delay_ms, delay.jitter_ms, service_.random()));
    Held& held = held_.emplace_back(Held{last_release_ms_, sender, sender_length, prefix});
    held.reply.append(datagram_.data(), n);
    held_bytes_ += held.reply.size();
    if (held_.size() == 1) service_.set_timer(timer_, *this, last_release_ms_);
}

void UdpEcho::expire(Expiry) {
    const long long now = service_.loop_time_ms();
    while (!held_.empty() && held_.front().release_ms <= now) {
        Held& due = held_.front();
        iovec part{due.reply.data(), due.reply.size()};
        send_reply(fd_, due.sender, due.sender_length, &part, 1);
        held_bytes_ -= due.reply.size();
        held_.pop_front();
    }
    if (!held_.empty()) service_.set_timer(timer_, *this, held_.front().release_ms);
}

}  // namespace echomux
