// SPDX-License-Identifier: BSL-1.0
// The UDP workload: `connections` sockets, each with one datagram in flight. A datagram is
// its sequence number (16 upper-case hex digits, which mode = upper leaves alone) and then
// pattern bytes that depend on it, so any reply, early, late or wrong, can be checked
// against what was sent without keeping copies. A datagram with no reply within `timeout`
// is lost, and the socket sends the next; loss is a result, not an error. Wrong bytes are.
#include "load.hpp"
#include "metrics_scrape.hpp"
#include "server_cost.hpp"
#include "validity.hpp"

#include "echomux/util/fd.hpp"
#include "echomux/util/socket_address.hpp"
#include "tools/reach_host.hpp"
#include "tools/wrong_echo.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>

namespace echomux::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kHeader = 16;         // the sequence number, in hex
constexpr std::size_t kMaxDatagram = 65507;  // the largest IPv4 UDP payload
constexpr std::size_t kPatternSize = 1 << 16;

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

struct Socket {
    Fd fd;
    std::uint64_t next = 0;          // sequence number of the next datagram
    std::uint64_t sent_at = 0;       // of the one in flight
    bool waiting = false;            // a datagram is in flight
    bool counted = false;            // it was sent in the measured window
    bool failed = false;
};

class UdpGenerator {
public:
    explicit UdpGenerator(const Workload& w) : w_(w), datagram_(w.size), expected_(w.size), reply_(kMaxDatagram + 1) {
        pattern_.resize(2 * kPatternSize);
        std::mt19937_64 random(862);
        for (std::size_t i = 0; i < kPatternSize; ++i) pattern_[i] = static_cast<char>(random());
        std::copy(pattern_.begin(), pattern_.begin() + kPatternSize, pattern_.begin() + kPatternSize);
        timeout_ns_ = static_cast<std::uint64_t>(w.timeout * 1e9);
        if (!w.metrics_url.empty()) metrics_.emplace(w.metrics_url);
    }

    Result run();

private:
    double rate_limited() const;
    void build(std::size_t socket, std::uint64_t seq, std::vector<char>& into) const;
    void send_next(Socket& s);
    void on_readable(Socket& s);
    void check_timeouts(std::uint64_t now);
    void fail(Socket& s, const std::string& why);
    bool any_waiting() const;

    const Workload& w_;
    std::vector<char> pattern_, datagram_, expected_, reply_;
    std::vector<Socket> sockets_;
    Fd epoll_;
    ServerCost server_{w_};  // CPU from --server-pid or --metrics-url; checked before the run
    std::optional<MetricsScrape> metrics_;
    std::uint64_t timeout_ns_;
    bool measuring_ = false, sending_ = true;
    Result result_;
};

// Datagram `seq` of socket `socket`: each socket starts at its own place in the pattern.
void UdpGenerator::build(std::size_t socket, std::uint64_t seq, std::vector<char>& into) const {
    char header[kHeader + 1];
    std::snprintf(header, sizeof header, "%016llX", static_cast<unsigned long long>(seq));
    std::memcpy(into.data(), header, kHeader);
    const std::size_t at = (socket * 7919 + seq * 131) % kPatternSize;
    std::memcpy(into.data() + kHeader, pattern_.data() + at, w_.size - kHeader);
}

void UdpGenerator::fail(Socket& s, const std::string& why) {
    ++result_.errors;
    if (result_.error_messages.size() < 5) result_.error_messages.push_back(why);
    s.failed = true;
    s.waiting = false;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.fd.get(), nullptr);
}

void UdpGenerator::send_next(Socket& s) {
    if (!sending_ || s.failed) return;
    build(static_cast<std::size_t>(&s - sockets_.data()), s.next, datagram_);
    s.sent_at = now_ns();
    const ssize_t n = ::send(s.fd.get(), datagram_.data(), datagram_.size(), 0);
    if (n < 0 && errno == ECONNREFUSED) return fail(s, "no UDP echo server there (ICMP port unreachable)");
    // A send the kernel refused (ENOBUFS, EAGAIN) is a datagram lost on our side: it still
    // waits for its timeout, and counts as lost.
    s.waiting = true;
    s.counted = measuring_;
    if (s.counted) ++result_.datagrams_sent;
    ++s.next;
}

void UdpGenerator::on_readable(Socket& s) {
    const std::size_t index = static_cast<std::size_t>(&s - sockets_.data());
    for (int i = 0; i < 64 && !s.failed; ++i) {  // bounded: other sockets get their turn
        const ssize_t n = ::recv(s.fd.get(), reply_.data(), reply_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ECONNREFUSED) return fail(s, "no UDP echo server there (ICMP port unreachable)");
            return;  // EAGAIN, or EINTR: the next readiness brings the rest
        }
        // Prefix mode: the prefix once, before the whole datagram ("" in the other modes).
        const std::string& prefix = w_.prefix;
        if (static_cast<std::size_t>(n) != prefix.size() + w_.size)
            return fail(s, "a reply of " + std::to_string(n) + " bytes to datagrams of " + std::to_string(w_.size) +
                               (prefix.empty() ? "" : " after a prefix of " + std::to_string(prefix.size())));
        if (prefix.compare(0, prefix.size(), reply_.data(), prefix.size()) != 0)
            return fail(s, "a reply without the prefix: " +
                               tools::describe_wrong_echo(prefix, {reply_.data(), prefix.size()}));
        const char* body = reply_.data() + prefix.size();
        const std::size_t got = w_.size;
        char header[kHeader + 1] = {};
        std::memcpy(header, body, kHeader);
        char* end = nullptr;
        const unsigned long long seq = std::strtoull(header, &end, 16);
        if (end != header + kHeader || seq >= s.next) return fail(s, "a reply to a datagram that was never sent");
        build(index, seq, expected_);
        apply_mode(w_.mode, expected_.data(), expected_.size());
        if (std::memcmp(body, expected_.data(), got) != 0)
            return fail(s, "wrong bytes in the reply to datagram " + std::to_string(seq) + ": " +
                               tools::describe_wrong_echo({expected_.data(), got}, {body, got}));
        if (!s.waiting || seq + 1 != s.next) {  // timed out before: it already counts as lost
            ++result_.datagrams_late;
            continue;
        }
        s.waiting = false;
        if (s.counted) {
            ++result_.datagrams_answered;
            if (measuring_) {  // not the ones awaited after the window: the rate is the window's
                ++result_.requests;
                result_.bytes += got;
                result_.latency.record(now_ns() - s.sent_at);
            }
        }
        send_next(s);
    }
}

void UdpGenerator::check_timeouts(std::uint64_t now) {
    for (Socket& s : sockets_) {
        if (!s.waiting || now - s.sent_at < timeout_ns_) continue;
        s.waiting = false;
        if (s.counted) ++result_.datagrams_lost;
        send_next(s);
    }
}

// The server's own count of replies it withheld by udp_rate_per_source, every listener's;
// -1 without --metrics-url or when the page does not say (a server without UDP, another echo server).
double UdpGenerator::rate_limited() const {
    if (!metrics_) return -1;
    try {
        return metrics_->sample("echomux_udp_dropped_datagrams_total", {{"reason", "rate_limit"}});
    } catch (const std::exception&) {
        return -1;
    }
}

bool UdpGenerator::any_waiting() const {
    return std::any_of(sockets_.begin(), sockets_.end(), [](const Socket& s) { return s.waiting; });
}

Result UdpGenerator::run() {
    // The name's first address: datagrams have no handshake that would tell a wrong one.
    const auto address = tools::resolve_host(w_.host, static_cast<std::uint16_t>(w_.port), SOCK_DGRAM).front();
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    sockets_ = std::vector<Socket>(static_cast<std::size_t>(w_.connections));
    for (Socket& s : sockets_) {
        s.fd.reset(::socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!s.fd || ::connect(s.fd.get(), address.get(), address.length) != 0)
            throw std::runtime_error(std::string("cannot open a UDP socket: ") + std::strerror(errno));
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.ptr = &s;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.fd.get(), &e);
    }
    for (Socket& s : sockets_) send_next(s);
    const auto start = Clock::now();
    const auto warm_end = start + std::chrono::duration<double>(w_.warmup);
    // The window is exactly --duration from when measuring began (the loop may notice the
    // end of the warm-up a little late); after it, the last datagrams get their timeout.
    auto end = warm_end + std::chrono::duration<double>(w_.duration);
    auto last_reply = end + std::chrono::duration<double>(w_.timeout);
    double client_cpu_start = 0, limited_start = -1;
    auto measure_start = start;
    std::vector<epoll_event> events(std::max(16, w_.connections));
    for (;;) {
        const auto now = Clock::now();
        if (!measuring_ && sending_ && now >= warm_end) {
            measuring_ = true;
            measure_start = now;
            end = now + std::chrono::duration<double>(w_.duration);
            last_reply = end + std::chrono::duration<double>(w_.timeout);
            client_cpu_start = own_cpu_seconds();
            server_.start();
            limited_start = rate_limited();
        }
        if (measuring_ && now >= end) {
            measuring_ = sending_ = false;
            result_.seconds = std::chrono::duration<double>(now - measure_start).count();
            result_.client_cpu_seconds = own_cpu_seconds() - client_cpu_start;
            server_.finish(result_);
        }
        if (!sending_ && (!any_waiting() || now >= last_reply)) break;
        const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 5);
        for (int i = 0; i < n; ++i) {
            auto& s = *static_cast<Socket*>(events[i].data.ptr);
            if (!s.failed) on_readable(s);
        }
        check_timeouts(now_ns());
    }
    // Whatever is still out after its timeout (the loop may end a little before) is lost.
    for (const Socket& s : sockets_)
        if (s.waiting && s.counted) ++result_.datagrams_lost;
    // Read once the window's datagrams have had their timeout: the drops they caused are in.
    if (const double limited_end = rate_limited(); limited_start >= 0 && limited_end >= limited_start)
        result_.server_rate_limited = limited_end - limited_start;
    return result_;
}

}  // namespace

Result run_udp_load(const Workload& workload) {
    if (workload.connections < 1) throw std::runtime_error("connections must be at least 1");
    if (workload.size < kHeader || workload.size > kMaxDatagram)
        throw std::runtime_error("udp: size must be from 16 (the sequence number) to 65507 bytes");
    if (!(workload.timeout > 0)) throw std::runtime_error("udp: timeout must be above 0");
    UdpGenerator generator(workload);
    Result r = generator.run();
    judge(workload, r, {r.client_cpu_seconds});
    return r;
}

}  // namespace echomux::bench
