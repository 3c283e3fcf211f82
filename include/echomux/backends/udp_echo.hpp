// SPDX-License-Identifier: BSL-1.0
// UDP echo (RFC 862 section 2) for one event loop, written once for every backend: the loop
// reports that its UDP socket is readable and calls on_read(), which receives, decides and
// answers whole datagrams. What a datagram gets back: the same bytes, upper-cased
// (mode = upper), or after the prefix (mode = prefix; %p is the sender). What it does not:
// a reply to source ports 0, 7, 13, 17, 19, 37 (two echo-like services answering each
// other forever), a reply over udp_rate_per_source, a reply the send buffer has no room
// for (UDP has no backpressure: it is dropped, never queued). Every drop is counted.
// Faults on purpose: `delay` holds each reply (bounded by max_buffer_bytes per loop: past it,
// dropped), and fault_probability, when a udp listener sets it, drops that share.
#pragma once

#include "echomux/core/service.hpp"
#include "echomux/core/source_rate_limit.hpp"

#include <sys/uio.h>

#include <deque>
#include <string>
#include <vector>

namespace echomux {

class UdpEcho final : private Expiring {
public:
    // The largest payload of an IPv4 datagram (65,535 - 20 IP - 8 UDP): no reply is longer.
    static constexpr std::size_t kMaxReply = 65507;

    explicit UdpEcho(Service& service);
    ~UdpEcho();
    UdpEcho(const UdpEcho&) = delete;
    UdpEcho& operator=(const UdpEcho&) = delete;

    // Serves datagrams waiting on `fd` (non-blocking) until it would block or a fairness
    // budget is spent, so TCP clients of the same loop are not starved. Returns true when
    // the budget ran out (more may be waiting: edge-triggered loops must call again).
    bool on_read(int fd);

    // Source ports whose services answer whatever arrives: replying would start a loop.
    static bool blocked_source_port(std::uint16_t port);

private:
    // A reply `delay` holds: what goes back, to whom, when.
    struct Held {
        long long release_ms;
        sockaddr_storage sender;
        socklen_t sender_length;
        std::string reply;
    };
    void answer(int fd, const sockaddr_storage& sender, socklen_t sender_length, std::size_t n, long long now_ms);
    void send_reply(int fd, const sockaddr_storage& sender, socklen_t sender_length, iovec* parts, std::size_t count);
    void hold(const sockaddr_storage& sender, socklen_t sender_length, const std::string& prefix, std::size_t n);
    void expire(Expiry) override;  // held replies are due

    std::deque<Held> held_;  // in release order
    std::size_t held_bytes_ = 0;
    long long last_release_ms_ = 0;
    Service::Timer timer_;
    int fd_ = -1;  // where held replies go: the socket they came from

    Service& service_;
    Stats& stats_;
    SourceRateLimit rate_limit_;
    std::vector<char> datagram_;  // one receive buffer per loop, whatever the number of senders
    std::string local_;           // %l: the address the socket is bound to
};

}  // namespace echomux
