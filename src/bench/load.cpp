// SPDX-License-Identifier: BSL-1.0
#include "load.hpp"

#include "echomux/fd.hpp"
#include "tools/reach_host.hpp"
#include "tools/wrong_echo.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace echomux::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// The bytes every connection sends: a random block, repeated; each connection starts at
// its own offset. Verifying is a memcmp against the block, so the client stays cheap.
constexpr std::size_t kPatternSize = 1 << 16;
constexpr int kMaxChunksInFlight = 256;

struct Connection {
    Fd fd;
    std::size_t offset = 0;          // where in the pattern this connection's stream starts
    std::uint64_t sent = 0, received = 0;
    std::uint64_t sent_chunks = 0, received_chunks = 0;
    std::uint64_t chunk_sent_at[kMaxChunksInFlight] = {};
    bool want_write = false;
    bool failed = false;
};

// To the first of addresses[from...] that accepts; `from` stays there, so every connection
// goes where the first one went.
Fd open_connection(const std::vector<SocketAddress>& addresses, std::size_t& from, const Workload& w) {
    Fd fd = tools::connect_in_turn(addresses, from, w.host, static_cast<std::uint16_t>(w.port));
    const int on = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    return fd;
}

class Generator {
public:
    explicit Generator(const Workload& w) : w_(w), chunk_(w.size) {
        window_ = w.kind == Workload::Kind::pingpong ? w.size : std::max(w.window, w.size);
        window_ = std::min<std::size_t>(window_, chunk_ * (kMaxChunksInFlight - 1));
        pattern_.resize(2 * kPatternSize);  // doubled, so any span up to kPatternSize is contiguous
        std::mt19937_64 random(862);
        for (std::size_t i = 0; i < kPatternSize; ++i) pattern_[i] = static_cast<char>(random());
        std::copy(pattern_.begin(), pattern_.begin() + kPatternSize, pattern_.begin() + kPatternSize);
        expected_ = pattern_;
        apply_mode(w.mode, expected_.data(), expected_.size());
        scratch_.resize(kPatternSize);
    }

    Result run();

private:
    void connect_all();
    void on_writable(Connection& c);
    void on_readable(Connection& c);
    void fail(Connection& c, const std::string& why);
    void update_interest(Connection& c);
    void report_progress(double elapsed, double total);
    void check_idle_connections();

    const Workload& w_;
    std::size_t chunk_;
    std::size_t window_;
    std::vector<char> pattern_, expected_, scratch_;
    std::vector<Connection> active_;
    std::vector<Fd> idle_;
    Fd epoll_;
    bool measuring_ = false;
    Result result_;
};

void Generator::fail(Connection& c, const std::string& why) {
    ++result_.errors;
    if (result_.error_messages.size() < 5) result_.error_messages.push_back(why);
    c.failed = true;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
}

void Generator::update_interest(Connection& c) {
    epoll_event e{};
    e.events = EPOLLIN | (c.want_write ? EPOLLOUT : 0u);
    e.data.ptr = &c;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &e);
}

void Generator::on_writable(Connection& c) {
    const bool wanted = c.want_write;
    c.want_write = false;
    while (c.sent < c.received + window_) {
        const std::size_t in_chunk = c.sent % chunk_;
        if (in_chunk == 0) c.chunk_sent_at[c.sent_chunks++ % kMaxChunksInFlight] = now_ns();
        const std::size_t at = (c.offset + c.sent) % kPatternSize;
        const std::size_t len = std::min({chunk_ - in_chunk, kPatternSize, c.received + window_ - c.sent});
        const ssize_t n = ::send(c.fd.get(), pattern_.data() + at, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (in_chunk == 0) --c.sent_chunks;  // nothing of the chunk went out: not started
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c.want_write = true;
                break;
            }
            if (errno == EINTR) continue;
            return fail(c, std::string("send: ") + std::strerror(errno));
        }
        c.sent += static_cast<std::uint64_t>(n);
        if (static_cast<std::size_t>(n) < len) {
            c.want_write = true;
            break;
        }
    }
    if (wanted != c.want_write) update_interest(c);
}

void Generator::on_readable(Connection& c) {
    for (;;) {
        const std::uint64_t in_flight = c.sent - c.received;
        // Read one byte even with nothing in flight, to catch a server that sends extra.
        const std::size_t want = std::min<std::uint64_t>(std::max<std::uint64_t>(in_flight, 1), scratch_.size());
        const ssize_t n = ::recv(c.fd.get(), scratch_.data(), want, 0);
        if (n == 0) return fail(c, "server closed the connection");
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            return fail(c, std::string("recv: ") + std::strerror(errno));
        }
        const auto got = static_cast<std::size_t>(n);
        if (got > in_flight) return fail(c, "server sent bytes that were never sent to it");
        const std::size_t at = (c.offset + c.received) % kPatternSize;
        if (std::memcmp(scratch_.data(), expected_.data() + at, got) != 0) {
            std::size_t i = 0;
            while (scratch_[i] == expected_[at + i]) ++i;
            return fail(c, "wrong byte at stream offset " + std::to_string(c.received + i) + ": " +
                               tools::expected_and_received({expected_.data() + at, got}, {scratch_.data(), got}, i));
        }
        c.received += got;
        if (measuring_) result_.bytes += got;
        const std::uint64_t now = now_ns();
        while (c.received >= (c.received_chunks + 1) * chunk_) {
            const std::uint64_t sent_at = c.chunk_sent_at[c.received_chunks++ % kMaxChunksInFlight];
            if (measuring_) {
                ++result_.requests;
                result_.latency.record(now - sent_at);
            }
        }
        if (got < want) break;
    }
    on_writable(c);  // room in the window again: send the next message
}

void Generator::connect_all() {
    const auto addresses = tools::resolve_host(w_.host, static_cast<std::uint16_t>(w_.port), SOCK_STREAM);
    std::size_t at = 0;
    for (int i = 0; i < w_.idle; ++i) idle_.push_back(open_connection(addresses, at, w_));
    active_ = std::vector<Connection>(static_cast<std::size_t>(w_.connections));
    for (std::size_t i = 0; i < active_.size(); ++i) {
        active_[i].fd = open_connection(addresses, at, w_);
        active_[i].offset = (i * 7919) % kPatternSize;
    }
}

void Generator::check_idle_connections() {
    std::vector<pollfd> fds;
    for (const Fd& fd : idle_) fds.push_back({fd.get(), POLLIN | POLLRDHUP, 0});
    if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return;
    for (const pollfd& p : fds)
        if (p.revents != 0) {
            ++result_.errors;
            if (result_.error_messages.size() < 5)
                result_.error_messages.push_back("an idle connection was closed or sent data");
        }
}

void Generator::report_progress(double elapsed, double total) {
    const int width = 30;
    const int filled = static_cast<int>(width * std::min(1.0, elapsed / total));
    std::fprintf(stderr, "\r[%s%s] %3.0f%% %s", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), 100 * std::min(1.0, elapsed / total),
                 measuring_ ? "measuring" : "warming up");
}

Result Generator::run() {
    connect_all();
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    for (Connection& c : active_) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.ptr = &c;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &e);
        on_writable(c);
    }
    const auto start = Clock::now();
    const auto warm_end = start + std::chrono::duration<double>(w_.warmup);
    const auto end = warm_end + std::chrono::duration<double>(w_.duration);
    double client_cpu_start = 0, server_cpu_start = -1;
    auto measure_start = start;
    auto last_progress = start;
    std::vector<epoll_event> events(std::max(16, w_.connections));
    for (;;) {
        const auto now = Clock::now();
        if (!measuring_ && now >= warm_end) {
            measuring_ = true;
            measure_start = now;
            client_cpu_start = own_cpu_seconds();
            server_cpu_start = w_.server_pid > 0 ? process_cpu_seconds(w_.server_pid) : -1;
        }
        if (now >= end) break;
        if (w_.progress && now - last_progress > std::chrono::milliseconds(100)) {
            report_progress(std::chrono::duration<double>(now - start).count(), w_.warmup + w_.duration);
            last_progress = now;
        }
        const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 10);
        for (int i = 0; i < n; ++i) {
            auto& c = *static_cast<Connection*>(events[i].data.ptr);
            if (!c.failed && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) on_writable(c);
            if (!c.failed && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
        }
    }
    result_.seconds = std::chrono::duration<double>(Clock::now() - measure_start).count();
    result_.client_cpu_seconds = own_cpu_seconds() - client_cpu_start;
    if (server_cpu_start >= 0) {
        result_.server_cpu_seconds = process_cpu_seconds(w_.server_pid) - server_cpu_start;
        result_.server_rss_kib = process_rss_kib(w_.server_pid);
    }
    if (w_.progress) std::fprintf(stderr, "\r%60s\r", "");
    check_idle_connections();
    return result_;
}

}  // namespace

const char* kind_name(Workload::Kind kind) {
    switch (kind) {
        case Workload::Kind::pingpong: return "pingpong";
        case Workload::Kind::stream: return "stream";
        case Workload::Kind::udp: return "udp";
    }
    return "?";
}

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Result run_load(const Workload& workload) {
    if (workload.connections < 1) throw std::runtime_error("connections must be at least 1");
    if (workload.size < 1) throw std::runtime_error("size must be at least 1");
    Generator generator(workload);
    return generator.run();
}

void pin_to_cpu(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

// Summed over the process's threads from schedstat (nanoseconds), which is far finer than
// the clock ticks of /proc/PID/stat.
double process_cpu_seconds(int pid) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(tasks.c_str());
    if (!dir) return -1;
    double total = 0;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream stat(tasks + "/" + entry->d_name + "/schedstat");
        unsigned long long run_ns = 0;
        if (stat >> run_ns) total += static_cast<double>(run_ns) / 1e9;
    }
    ::closedir(dir);
    return total;
}

long process_rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace echomux::bench
