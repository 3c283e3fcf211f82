// SPDX-License-Identifier: BSL-1.0
#include "load_loop.hpp"

#include "tools/greeting.hpp"
#include "tools/wrong_echo.hpp"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace echomux::bench {

namespace {

constexpr std::size_t kMaxRing = 4096;     // messages in flight per connection (stream of small chunks)
constexpr std::size_t kRateRing = 256;     // --rate: requests in flight per connection (pipelined)
constexpr std::uint64_t kMaxWaitNs = 10'000'000;  // the loop looks at the clock at least this often

// The size of message `n` of connection `c` when --sizes mixes them: a hash, so both ends of
// the stream agree without keeping a list, and every connection has its own sequence.
std::uint64_t mix(std::uint64_t c, std::uint64_t n) {
    std::uint64_t z = c * 0x9E3779B97F4A7C15ull + n + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

// A message in flight: where it ends in the stream, and the time its latency counts from.
struct Pending {
    std::uint64_t end = 0, stamp = 0;
    std::uint64_t sent_at = 0;  // open loop: when it actually began (its stamp is when it should have)
    std::uint32_t size = 0;
};

struct LoadLoop::Connection {
    std::unique_ptr<tools::Stream> stream;
    tools::GreetingSkip greeting;     // lines still to come before the first reply byte
    std::size_t index = 0;            // over all loops
    std::size_t offset = 0;           // where in the pattern this connection's stream starts
    std::uint64_t sent = 0, received = 0;  // received: the sent bytes answered so far
    std::uint64_t reply = 0;               // bytes that came back (prefix mode: more than received)
    std::uint64_t started = 0;        // messages begun
    std::uint64_t message_end = 0;    // stream offset where the last message begun ends
    std::vector<Pending> ring;        // messages begun and not yet back, oldest at `head`
    std::size_t head = 0, count = 0;
    bool want_write = false;
    bool failed = false;
    // TLS: a receive that must first send, a send that must first receive.
    bool read_waits_write = false, write_waits_read = false;

    Pending& front() { return ring[head]; }
    Pending& back() { return ring[(head + count - 1) % ring.size()]; }
    void push(const Pending& p) { ring[(head + count++) % ring.size()] = p; }
    void pop_front() {
        head = (head + 1) % ring.size();
        --count;
    }
};

LoadLoop::LoadLoop(LoopShared& shared, std::vector<Greeter::Opened> connections, std::size_t first)
    : shared_(shared), w_(shared.workload), kind_(shared.workload.kind), open_loop_(shared.workload.rate > 0),
      first_(first), scratch_(Pattern::kSize) {
    const std::size_t smallest =
        w_.sizes.empty() ? w_.size : *std::min_element(w_.sizes.begin(), w_.sizes.end());
    window_ = std::max(w_.window, w_.size);
    if (open_loop_) {
        ring_capacity_ = kRateRing;
        per_connection_rate_ = w_.rate / static_cast<double>(shared.total_connections);
    } else if (kind_ == Workload::Kind::stream) {
        ring_capacity_ = std::min<std::size_t>(window_ / smallest + 2, kMaxRing);
    } else {
        ring_capacity_ = 1;
    }
    connections_ = std::vector<Connection>(connections.size());
    for (std::size_t i = 0; i < connections.size(); ++i) {
        Connection& c = connections_[i];
        c.stream = std::move(connections[i].stream);
        c.index = first + i;
        c.greeting = tools::GreetingSkip(connections[i].greeting_lines, c.index == 0);
        c.offset = shared.pattern.offset_for(c.index);
        c.ring.resize(ring_capacity_);
    }
    if (w_.interval > 0) {
        const auto n = static_cast<std::size_t>(std::ceil(w_.duration / w_.interval - 1e-9));
        intervals_.resize(n);
        interval_latency_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            intervals_[i].start = static_cast<double>(i) * w_.interval;
            intervals_[i].seconds = std::min(w_.interval, w_.duration - intervals_[i].start);
        }
    }
}

LoadLoop::~LoadLoop() = default;

void LoadLoop::error(const std::string& why) {
    ++result_.errors;
    if (result_.error_messages.size() < 5) result_.error_messages.push_back(why);
    if (Interval* i = interval_at(now_ns())) ++i->errors;
}

// The --interval that `now` falls in, or nullptr (no intervals, or outside the window).
Interval* LoadLoop::interval_at(std::uint64_t now) {
    const auto& t = shared_.timeline;
    if (intervals_.empty() || now < t.window_start || now >= t.window_end) return nullptr;
    const auto i = static_cast<std::size_t>(static_cast<double>(now - t.window_start) / 1e9 / w_.interval);
    return i < intervals_.size() ? &intervals_[i] : nullptr;
}

void LoadLoop::fail(Connection& c, const std::string& why) {
    error(why);
    c.failed = true;
    ++failed_;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.stream->fd(), nullptr);
}

void LoadLoop::set_write_interest(Connection& c, bool on) {
    if (c.want_write == on) return;
    c.want_write = on;
    epoll_event e{};
    e.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    e.data.ptr = &c;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.stream->fd(), &e);
}

std::size_t LoadLoop::size_of(const Connection& c, std::uint64_t message) const {
    if (w_.sizes.empty()) return w_.size;
    return w_.sizes[mix(c.index, message) % w_.sizes.size()];
}

// Connections are spread evenly over one period, so a rate is not a burst every 1/r s.
std::uint64_t LoadLoop::intended(const Connection& c, std::uint64_t message) const {
    const double phase = static_cast<double>(c.index) / static_cast<double>(shared_.total_connections);
    return shared_.timeline.start + static_cast<std::uint64_t>((static_cast<double>(message) + phase) /
                                                               per_connection_rate_ * 1e9);
}

// Whether one more message (the `pushed`-th new one, whose bytes would begin at `end`) may begin now.
bool LoadLoop::may_start(const Connection& c, std::uint64_t end, std::size_t pushed, std::uint64_t now) const {
    if (draining_ || c.count == ring_capacity_) return false;
    if (open_loop_) return intended(c, c.started + pushed) <= now;
    if (kind_ == Workload::Kind::stream) return end < c.received + window_;
    return c.count == 0;
}

// Sends as much as may go now in as few send() calls as the socket allows: the rest of the
// message begun, and every message that may begin, in one span of the pattern.
void LoadLoop::on_writable(Connection& c, std::uint64_t now) {
    while (!c.failed) {
        std::uint64_t end = c.message_end;
        std::size_t pushed = 0;
        while (end - c.sent < Pattern::kSize && may_start(c, end, pushed, now)) {
            const std::size_t size = size_of(c, c.started + pushed);
            const std::uint64_t stamp = open_loop_ ? intended(c, c.started + pushed) : now;
            end += size;
            c.push({end, stamp, now, static_cast<std::uint32_t>(size)});
            ++pushed;
        }
        if (end == c.sent) return set_write_interest(c, c.read_waits_write);
        const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(end - c.sent, Pattern::kSize));
        const ssize_t n = c.stream->send(shared_.pattern.sent_at(c.offset, c.sent), len);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return fail(c, "send: " + c.stream->why(errno));
        c.write_waits_read = n < 0 && errno != EINTR && c.stream->waits_for() == tools::Stream::Wait::read;
        const std::uint64_t went = n > 0 ? static_cast<std::uint64_t>(n) : 0;
        c.sent += went;
        loop_sent_ += went;
        // Messages none of whose bytes went out have not begun: take them back.
        while (pushed > 0 && c.back().end - c.back().size >= c.sent) {
            --c.count;
            --pushed;
        }
        c.started += pushed;
        if (pushed > 0) c.message_end = c.back().end;
        if (n < 0 && errno == EINTR) continue;
        // The socket is full: wait for room (or, TLS, for what the send must read first).
        if (went < len) return set_write_interest(c, !c.write_waits_read || c.read_waits_write);
    }
}

void LoadLoop::count_received(std::size_t bytes, std::uint64_t now) {
    result_.total_received_bytes += bytes;
    const auto& t = shared_.timeline;
    if (now < t.window_start || now >= t.window_end) return;
    result_.bytes += bytes;
    if (Interval* i = interval_at(now)) i->bytes += bytes;
}

// A message came back whole. It counts in the window (and its interval) when it came back in it.
void LoadLoop::complete(std::uint64_t stamp, std::uint64_t sent_at, std::uint64_t now) {
    ++result_.total_requests;
    const auto& t = shared_.timeline;
    if (now < t.window_start || now >= t.window_end) return;
    const std::uint64_t latency = now > stamp ? now - stamp : 0;
    ++result_.requests;
    result_.latency.record(latency);
    if (open_loop_) result_.uncorrected_latency.record(now > sent_at ? now - sent_at : 0);
    if (Interval* i = interval_at(now)) {
        ++i->requests;
        interval_latency_[static_cast<std::size_t>(i - intervals_.data())].record(latency);
    }
}

// One recv per readiness unless it filled the buffer: the epoll is level-triggered, so bytes
// that arrive later bring the loop back, and no recv is spent only to hear EAGAIN.
void LoadLoop::on_readable(Connection& c) {
    std::uint64_t now = 0;
    const Pattern& pattern = shared_.pattern;
    c.read_waits_write = false;
    for (;;) {
        const std::uint64_t in_flight = pattern.reply_bytes(c.sent) - c.reply;
        // One byte even with nothing in flight, to catch a server that sends extra.
        const std::size_t want = std::min<std::uint64_t>(std::max<std::uint64_t>(in_flight, 1), scratch_.size());
        const ssize_t n = c.stream->receive(scratch_.data(), c.greeting.done() ? want : scratch_.size());
        if (n == 0) return fail(c, "server closed the connection");
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c.read_waits_write = c.stream->waits_for() == tools::Stream::Wait::write;
                if (c.read_waits_write) set_write_interest(c, true);
                break;
            }
            if (errno == EINTR) continue;
            return fail(c, "recv: " + c.stream->why(errno));
        }
        now = now_ns();
        const char* data = scratch_.data();
        auto got = static_cast<std::size_t>(n);
        if (!c.greeting.done()) {
            if (const std::string why = c.greeting.skip(data, got); !why.empty()) return fail(c, why);
            if (c.index == 0 && c.greeting.done()) result_.greeting = c.greeting.lines();
            if (got == 0) continue;
        }
        if (got > in_flight) return fail(c, "server sent bytes that were never sent to it");
        if (const std::size_t i = pattern.mismatch(c.offset, c.reply, data, got); i < got) {
            const std::string expected = pattern.expected(c.offset, c.reply, got);
            return fail(c, "wrong byte at stream offset " + std::to_string(c.reply + i) + ": " +
                               tools::expected_and_received(expected, {data, got}, i));
        }
        c.reply += got;
        const std::uint64_t answered = pattern.answered(c.reply) - c.received;
        c.received += answered;
        loop_received_ += answered;
        last_reply_ = now;
        count_received(answered, now);
        while (c.count > 0 && c.received >= c.front().end) {
            complete(c.front().stamp, c.front().sent_at, now);
            c.pop_front();
        }
        if (static_cast<std::size_t>(n) < want || c.reply == pattern.reply_bytes(c.sent)) break;
    }
    if (now > 0) on_writable(c, now);  // room in the window again: send the next message
}

// The earliest intended send time of a message not yet begun (rate), else the next check.
std::uint64_t LoadLoop::next_timer(std::uint64_t now) const {
    std::uint64_t next = now + kMaxWaitNs;
    if (!open_loop_ || draining_) return next;
    for (const Connection& c : connections_)
        if (!c.failed && !c.want_write && c.count < ring_capacity_) next = std::min(next, intended(c, c.started));
    return next;
}

void LoadLoop::close_intervals(std::uint64_t now) {
    if (intervals_.empty()) return;
    const auto& t = shared_.timeline;
    std::size_t closed = closed_intervals_.load(std::memory_order_relaxed);
    std::size_t done = 0;
    if (now >= t.window_end) done = intervals_.size();
    else if (now > t.window_start)
        done = std::min(intervals_.size(),
                        static_cast<std::size_t>(static_cast<double>(now - t.window_start) / 1e9 / w_.interval));
    if (done > closed) closed_intervals_.store(done, std::memory_order_release);
}

// No byte back for stall_timeout while bytes are out: the server stopped answering. Only
// before the drain, whose own deadline counts what never came back.
bool LoadLoop::check_stall(std::uint64_t now) {
    if (loop_sent_ == loop_received_ || last_reply_ == 0) {
        last_reply_ = now;
        return false;
    }
    if (static_cast<double>(now - last_reply_) / 1e9 < w_.stall_timeout) return false;
    const auto& t = shared_.timeline;
    char since[64] = "since the warm-up";
    if (last_reply_ >= t.window_start)
        std::snprintf(since, sizeof since, "since %.2f s into the window",
                      static_cast<double>(last_reply_ - t.window_start) / 1e9);
    char text[256];
    std::snprintf(text, sizeof text, "the server stopped answering: no reply for %.1f s with %llu bytes outstanding (%s)",
                  static_cast<double>(now - last_reply_) / 1e9,
                  static_cast<unsigned long long>(loop_sent_ - loop_received_), since);
    result_.invalid.push_back(text);
    shared_.stop.store(true);
    return true;
}

bool LoadLoop::all_back() const {
    return std::all_of(connections_.begin(), connections_.end(),
                       [](const Connection& c) { return c.failed || c.sent == c.received; });
}

void LoadLoop::count_missing() {
    std::uint64_t connections = 0;
    for (const Connection& c : connections_) {
        if (c.failed || c.sent == c.received) continue;
        result_.drain_missing_bytes += c.sent - c.received;
        ++connections;
    }
    if (connections == 0) return;
    char text[200];
    std::snprintf(text, sizeof text, "%llu bytes sent on %llu connection(s) never came back within the %.1f s drain",
                  static_cast<unsigned long long>(result_.drain_missing_bytes),
                  static_cast<unsigned long long>(connections), w_.drain_timeout);
    error(text);
    result_.errors += connections - 1;  // one error per connection that lost bytes
}

void LoadLoop::run(int cpu) {
    pin_to_cpu(cpu);
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    const Timeline& t = shared_.timeline;
    std::uint64_t now = now_ns();
    for (Connection& c : connections_) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.ptr = &c;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.stream->fd(), &e);
        on_writable(c, now);
    }
    bool measuring = false;
    double cpu_at_start = 0;
    std::vector<epoll_event> events(std::clamp<std::size_t>(connections_.size(), 16, 1024));
    for (;;) {
        now = now_ns();
        if (!measuring && now >= t.window_start) {
            measuring = true;
            cpu_at_start = thread_cpu_seconds();
        }
        close_intervals(now);
        if (!draining_ && now >= t.window_end) {
            draining_ = true;
            ended_at_ = t.window_end;
            window_cpu_ = thread_cpu_seconds() - cpu_at_start;
        }
        const bool all_failed = failed_ == connections_.size();
        if (!draining_ && (all_failed || shared_.stop.load(std::memory_order_relaxed) || check_stall(now))) {
            ended_at_ = now;
            if (measuring) window_cpu_ = thread_cpu_seconds() - cpu_at_start;
            break;
        }
        if (draining_ && (now >= t.drain_end || all_back())) {
            if (now >= t.drain_end) count_missing();
            break;
        }
        if (open_loop_ && !draining_)
            for (Connection& c : connections_)
                if (!c.failed && !c.want_write && c.count < ring_capacity_ && intended(c, c.started) <= now)
                    on_writable(c, now);
        std::uint64_t wake = next_timer(now);
        if (!measuring) wake = std::min(wake, t.window_start);
        else if (!draining_) wake = std::min(wake, t.window_end);
        else wake = std::min(wake, t.drain_end);
        const int n = wait_for_events(epoll_.get(), events, wake > now ? wake - now : 0);
        for (int i = 0; i < n; ++i) {
            auto& c = *static_cast<Connection*>(events[i].data.ptr);
            const bool in = events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP), out = events[i].events & EPOLLOUT;
            if (!c.failed && (in || (out && c.read_waits_write))) on_readable(c);
            if (!c.failed && (out || (in && c.write_waits_read))) on_writable(c, now_ns());
        }
    }
    result_.total_sent_bytes = loop_sent_;
    closed_intervals_.store(intervals_.size(), std::memory_order_release);
}

}  // namespace echomux::bench
