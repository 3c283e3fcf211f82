// SPDX-License-Identifier: BSL-1.0
// The churn workload (--connect-rate R, tcpkali-style): R new connections a second, each
// on its own schedule (open loop), each sending one message, verifying the reply and
// closing. What it measures is the server's connection handling: accepts/s (connects),
// connect latency (connect() to established) and the request latency on a new connection.
// After the window no new connection starts; the open ones get drain_timeout to finish.
// --workload handshake is the same in a closed loop: `connections` at once, each replaced as
// it closes; with --tls each runs a full TLS handshake (non-blocking, driven by the first
// send) and sends its close_notify before closing.
#include "load.hpp"

#include "greeter.hpp"
#include "load_loop.hpp"
#include "open_files.hpp"
#include "server_cost.hpp"
#include "validity.hpp"

#include "tools/greeting.hpp"
#include "tools/wrong_echo.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace echomux::bench {
namespace {

constexpr std::size_t kMaxOpen = 1000;            // churn connections open at once (descriptors)
constexpr std::uint64_t kMaxWaitNs = 10'000'000;

struct ChurnConnection {
    std::unique_ptr<tools::Stream> stream;  // null once done or failed
    std::uint64_t number = 0;                      // the how-many-th connection of the run
    std::uint64_t connect_at = 0, sent_at = 0;
    std::size_t size = 0, sent = 0, received = 0;  // received: reply bytes (after the greeting)
    tools::GreetingSkip greeting;                  // lines still to come before the reply
    bool connected = false;
};

class ChurnGenerator {
public:
    ChurnGenerator(const Workload& w, const Pattern& p, const Greeter& greeter)
        : w_(w), pattern_(p), address_(greeter.address()), greeting_lines_(greeter.lines()), tls_(greeter.tls()),
          scratch_(p.reply_bytes(w.size) + tools::kMaxGreetingBytes) {}
    Result run(ServerCost& server);

private:
    void start(std::uint64_t number, std::uint64_t now);
    void on_event(ChurnConnection& c, std::uint32_t events);
    void finish(ChurnConnection& c);
    void fail(ChurnConnection& c, const std::string& why);
    bool in_window(std::uint64_t now) const { return now >= t_.window_start && now < t_.window_end; }
    std::size_t offset(const ChurnConnection& c) const { return pattern_.offset_for(c.number); }
    void on_reply(ChurnConnection& c, const char* data, std::size_t n);
    void watch(ChurnConnection& c, std::uint32_t events);
    void start_due(std::uint64_t& next, std::uint64_t now, std::uint64_t& due);

    const Workload& w_;
    const Pattern& pattern_;
    SocketAddress address_;
    int greeting_lines_;
    const tools::TlsContext* tls_;
    Timeline t_;
    Fd epoll_;
    std::vector<char> scratch_;
    std::vector<std::unique_ptr<ChurnConnection>> open_;
    Result r_;
};

void ChurnGenerator::fail(ChurnConnection& c, const std::string& why) {
    ++r_.errors;
    if (r_.error_messages.size() < 5) r_.error_messages.push_back("connection " + std::to_string(c.number) + ": " + why);
    c.stream.reset();  // closing it also takes it out of the epoll set
}

void ChurnGenerator::start(std::uint64_t number, std::uint64_t now) {
    auto c = std::make_unique<ChurnConnection>();
    c->number = number;
    c->size = w_.size;
    c->greeting = tools::GreetingSkip(greeting_lines_, number == 0);
    Fd fd(::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int on = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (tls_) c->stream = tls_->stream(std::move(fd), w_.host);
    else c->stream = tools::plain_stream(std::move(fd));
    c->connect_at = now;
    if (::connect(c->stream->fd(), address_.get(), address_.length) != 0 && errno != EINPROGRESS) {
        fail(*c, std::string("connect: ") + std::strerror(errno));
        return;
    }
    epoll_event e{};
    e.events = EPOLLOUT;
    e.data.ptr = c.get();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->stream->fd(), &e);
    open_.push_back(std::move(c));
}

void ChurnGenerator::finish(ChurnConnection& c) {
    const std::uint64_t now = now_ns();
    ++r_.total_requests;
    r_.total_received_bytes += c.size;  // the bytes answered, as the other workloads count
    if (in_window(now)) {
        ++r_.requests;
        r_.bytes += c.size;
        r_.latency.record(now - c.sent_at);
    }
    if (tls_) c.stream->shutdown_write();  // close_notify, as a polite TLS client ends
    c.stream.reset();
}

void ChurnGenerator::watch(ChurnConnection& c, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.ptr = &c;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.stream->fd(), &e);
}

// Open loop (--connect-rate): every connection whose time has come. Closed loop (handshake):
// as many as closed since the last turn.
void ChurnGenerator::start_due(std::uint64_t& next, std::uint64_t now, std::uint64_t& due) {
    if (w_.handshake) {
        for (; open_.size() < static_cast<std::size_t>(w_.connections); ++next) start(next, now);
        return;
    }
    const double period_ns = 1e9 / w_.connect_rate;
    due = t_.start + static_cast<std::uint64_t>(static_cast<double>(next) * period_ns);
    for (; due <= now && open_.size() < kMaxOpen; due = t_.start + static_cast<std::uint64_t>(static_cast<double>(++next) * period_ns))
        start(next, now);
}

void ChurnGenerator::on_event(ChurnConnection& c, std::uint32_t events) {
    if (!c.connected) {
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(c.stream->fd(), SOL_SOCKET, SO_ERROR, &error, &len);
        if (error != 0) return fail(c, std::string("connect: ") + std::strerror(error));
        if (!(events & EPOLLOUT)) return;
        const std::uint64_t now = now_ns();
        c.connected = true;
        ++r_.total_connects;
        if (in_window(now)) {
            ++r_.connects;
            r_.connect_latency.record(now - c.connect_at);
        }
        c.sent_at = now;
    }
    // TLS: a send may wait to read (the handshake), a receive to write; plaintext never does.
    auto wait = [&] { watch(c, c.stream->waits_for() == tools::Stream::Wait::read ? EPOLLIN : EPOLLOUT); };
    if (c.sent < c.size) {
        const ssize_t n = c.stream->send(pattern_.sent_at(offset(c), c.sent), c.size - c.sent);
        if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(c, "send: " + c.stream->why(errno));
        if (n < 0 && errno == EAGAIN) return wait();
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            r_.total_sent_bytes += static_cast<std::uint64_t>(n);
        }
        if (c.sent == c.size) watch(c, EPOLLIN);
        return;
    }
    const ssize_t n = c.stream->receive(scratch_.data(), scratch_.size());
    if (n == 0) return fail(c, "server closed the connection before echoing");
    if (n < 0) {
        if (errno == EAGAIN) return wait();
        if (errno == EINTR) return;
        return fail(c, "recv: " + c.stream->why(errno));
    }
    // The greeting comes first (the server writes it before the echo): skipped line by line.
    const char* data = scratch_.data();
    auto got = static_cast<std::size_t>(n);
    if (!c.greeting.done()) {
        if (const std::string why = c.greeting.skip(data, got); !why.empty()) return fail(c, why);
        if (c.number == 0 && c.greeting.done()) r_.greeting = c.greeting.lines();
    }
    if (got > 0) on_reply(c, data, got);
}

void ChurnGenerator::on_reply(ChurnConnection& c, const char* data, std::size_t got) {
    const auto total = static_cast<std::size_t>(pattern_.reply_bytes(c.size));
    if (got > total - c.received) return fail(c, "server sent more than the reply");
    if (const std::size_t i = pattern_.mismatch(offset(c), c.received, data, got); i < got) {
        const std::string expected = pattern_.expected(offset(c), c.received, got);
        return fail(c, "wrong byte at offset " + std::to_string(c.received + i) + ": " +
                           tools::expected_and_received(expected, {data, got}, i));
    }
    c.received += got;
    if (c.received == total) finish(c);
}

Result ChurnGenerator::run(ServerCost& server) {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    t_.start = now_ns();
    t_.window_start = t_.start + static_cast<std::uint64_t>(w_.warmup * 1e9);
    t_.window_end = t_.window_start + static_cast<std::uint64_t>(w_.duration * 1e9);
    t_.drain_end = t_.window_end + static_cast<std::uint64_t>(w_.drain_timeout * 1e9);
    std::uint64_t next = 0;  // the next connection to start
    bool measuring = false, draining = false;
    double client_cpu_start = 0;
    std::vector<epoll_event> events(256);
    for (;;) {
        std::uint64_t now = now_ns();
        if (!measuring && now >= t_.window_start) {
            measuring = true;
            client_cpu_start = thread_cpu_seconds();
            server.start();
        }
        if (!draining && now >= t_.window_end) {
            draining = true;
            r_.client_cpu_seconds = thread_cpu_seconds() - client_cpu_start;
            server.finish(r_);
        }
        open_.erase(std::remove_if(open_.begin(), open_.end(), [](const auto& c) { return !c->stream; }), open_.end());
        if (draining && (open_.empty() || now >= t_.drain_end)) break;
        std::uint64_t due = UINT64_MAX;
        if (!draining) start_due(next, now, due);
        std::uint64_t wake = std::min(now + kMaxWaitNs, draining ? t_.drain_end : std::min(due, t_.window_end));
        if (!measuring) wake = std::min(wake, t_.window_start);
        const int n = wait_for_events(epoll_.get(), events, wake > now ? wake - now : 0);
        for (int i = 0; i < n; ++i) {
            auto& c = *static_cast<ChurnConnection*>(events[i].data.ptr);
            if (c.stream) on_event(c, events[i].events);
        }
    }
    if (!open_.empty()) {
        ++r_.errors;
        r_.error_messages.push_back(std::to_string(open_.size()) + " connection(s) had no reply within the " +
                                    std::to_string(w_.drain_timeout).substr(0, 3) + " s drain");
        for (const auto& c : open_) r_.drain_missing_bytes += c->sent - pattern_.answered(c->received);
    }
    r_.seconds = w_.duration;
    return r_;
}

}  // namespace

Result run_churn_load(const Workload& w) {
    if (!(w.connect_rate > 0) && !w.handshake) throw std::runtime_error("--connect-rate must be above 0");
    if (w.size > Pattern::kSize) throw std::runtime_error("--connect-rate: size must be at most 262144 bytes");
    if (w.handshake && static_cast<std::size_t>(w.connections) > kMaxOpen)
        throw std::runtime_error("--workload handshake: at most " + std::to_string(kMaxOpen) + " connections");
    ensure_open_files(kMaxOpen, 0);
    ServerCost server(w);
    // The first address that accepts (as the other workloads do); that connection counts too,
    // since the server counts it.
    // (With --greeting-lines auto, it is also the one that probes.)
    Greeter greeter(w);
    greeter.open();
    const Pattern pattern(w.mode, w.prefix, w.size);
    ChurnGenerator generator(w, pattern, greeter);
    Result r = generator.run(server);
    r.tls = greeter.tls_description();
    if (!w.greeting_lines) r.greeting = greeter.probed_greeting();
    ++r.total_connects;
    judge(w, r, {r.client_cpu_seconds});
    return r;
}

}  // namespace echomux::bench
