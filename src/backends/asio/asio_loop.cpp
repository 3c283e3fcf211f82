// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/asio/asio_loop.hpp"

#include "echomux/backends/asio/asio_session.hpp"
#include "echomux/backends/test_wedge.hpp"
#include "echomux/util/log.hpp"

#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace echomux::asio {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;

namespace {
// A connection that received nothing for one to two of these gives its read buffer back.
constexpr std::chrono::seconds kReadBufferGrace{1};
// Buffers lent at once per loop: 256 x 64 KiB (read_chunk_bytes) = 16 MiB at most, of which
// a ping-pong touches one page each. More receiving connections wait buffer-less.
constexpr std::size_t kMaxReadBufferBytes = 16 << 20;
// The heartbeat's period: a quarter of liveness_timeout, at most a second (it also brings
// the busy time up to date). An idle loop wakes this often; the native loops do not need to.
constexpr long long kMostBeatUs = 1000000;

long long thread_cpu_us() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

tcp protocol_of(int fd) {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
    return s.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}
}  // namespace

AsioLoop::AsioLoop(SharedState& shared, Fd listener, Fd udp)
    : service_(shared, *this),
      read_buffers_(service_.read_size(), std::max<std::size_t>(16, kMaxReadBufferBytes / service_.read_size()),
                    service_.stats()),
      acceptor_(io_),
      protocol_(protocol_of(listener.get())),
      udp_echo_(service_),
      udp_(io_),
      timer_(io_),
      sweep_timer_(io_),
      beat_timer_(io_) {
    acceptor_.assign(protocol_, listener.release());
    if (udp) udp_.assign(protocol_ == tcp::v6() ? udp::v6() : udp::v4(), udp.release());
}

AsioLoop::~AsioLoop() { destroying_ = true; }

void AsioLoop::run() {
    wait_for_accept();
    wait_for_udp();
    arm_timer();
    cpu_counted_us_ = thread_cpu_us();
    beat();
    io_.run();  // returns once drained: no listener, no connection, no timer left
    heartbeat_.add_busy(thread_cpu_us() - cpu_counted_us_);
    heartbeat_.ended();
}

// Asio's scheduler waits and runs handlers inside io_.run(), with no hook between the two, so
// the loop cannot stamp its wait as LoopTurn does. Instead a timer proves that handlers still
// run: each beat stamps the heartbeat, and a loop whose beat is overdue (a handler that does
// not return) has not turned since. Busy time is the thread's CPU time, taken at each beat:
// everything this thread does is the loop's work, and the wait itself costs none. (Timing
// io_.run_one() would count the wait; timing each handler would cost a clock read each.)
void AsioLoop::beat() {
    const long long now = service_.now_us();
    const long long cpu = thread_cpu_us();
    heartbeat_.add_busy(cpu - cpu_counted_us_);
    cpu_counted_us_ = cpu;
    heartbeat_.woke(now);
    if (service_.finished()) return;  // io_.run() may now return
    const double timeout = service_.config().liveness_timeout;
    long long period = kMostBeatUs;
    if (timeout > 0) period = std::min(period, std::max(1000LL, static_cast<long long>(timeout * 1e6 / 4)));
    beat_armed_ = true;
    beat_timer_.expires_after(std::chrono::microseconds(period));
    beat_timer_.async_wait([this](const boost::system::error_code& ec) {
        beat_armed_ = false;
        if (!ec) beat();
    });
}

void AsioLoop::request_drain() {
    boost::asio::post(io_, [this] { service_.begin_drain(); });
}

void AsioLoop::request_reconfigure(const Config& next, std::function<void()> applied) {
    boost::asio::post(io_, [this, next, applied = std::move(applied)] {
        service_.reconfigure(next);
        applied();
    });
}

void AsioLoop::wait_for_accept() {
    if (accept_armed_ || !accepting_) return;
    accept_armed_ = true;
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](const boost::system::error_code& ec) {
        accept_armed_ = false;
        if (!ec) on_accept();
    });
}

void AsioLoop::on_accept() {
    if (!accepting_) return;
    if (service_.on_accept(acceptor_.native_handle())) {
        boost::asio::post(io_, [this] { on_accept(); });  // more may be waiting: edge won't repeat
        return;
    }
    wait_for_accept();
}

void AsioLoop::wait_for_udp() {
    if (!udp_.is_open()) return;
    udp_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
        if (!ec) on_udp();  // operation_aborted: closed for the drain
    });
}

void AsioLoop::on_udp() {
    if (!udp_.is_open()) return;
    if (udp_echo_.on_read(udp_.native_handle())) {
        boost::asio::post(io_, [this] { on_udp(); });  // the budget ran out: others' turn first
        return;
    }
    wait_for_udp();
}

void AsioLoop::adopt(int fd) {
    wedge_if_testing();
    AsioSession::Socket socket(io_);
    boost::system::error_code ec;
    socket.assign(protocol_, fd, ec);
    if (ec) {
        ::close(fd);
        throw boost::system::system_error(ec, "assign");
    }
    std::make_shared<AsioSession>(service_, read_buffers_, std::move(socket))->start();
    arm_sweep();
}

void AsioLoop::deadline_changed() {
    // Sessions freed with io_'s handlers (the loop is being destroyed, after run() returned or
    // threw) detach after the timers are gone: nothing to arm or cancel.
    if (destroying_) return;
    arm_timer();
    if (service_.finished() && beat_armed_) beat_timer_.cancel();  // drained: let io_.run() return
    // The last connection went (it may be a drain): no sweep timer keeps io_.run() going.
    if (!service_.has_connections() && sweep_armed_) {
        sweep_timer_.cancel();
        read_buffers_.sweep();  // frees the spare buffers
    }
}

// Armed from adopt() (every connection may come to borrow) and kept while any buffer is
// out; a loop with no connection holds no timer, so io_.run() can return once drained.
void AsioLoop::arm_sweep() {
    if (sweep_armed_ || destroying_) return;
    sweep_armed_ = true;
    sweep_timer_.expires_after(kReadBufferGrace);
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        sweep_armed_ = false;
        if (ec) return;
        read_buffers_.sweep();
        if (read_buffers_.lent() || service_.has_connections()) arm_sweep();
    });
}

void AsioLoop::watch_listener(bool watch) {
    accepting_ = watch;
    if (watch) boost::asio::post(io_, [this] { on_accept(); });
}

void AsioLoop::close_listener() {
    accepting_ = false;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    udp_.close(ignored);  // datagrams are answered whole in one handler: none is half-handled
}

// Deadlines only move later as connections are active, so a timer that fires early just
// ticks (nothing due) and re-arms; an earlier deadline arrives through deadline_changed().
void AsioLoop::arm_timer() {
    if (destroying_) return;
    const auto deadline = service_.next_deadline();
    if (!deadline) {
        if (timer_armed_) timer_.cancel();
        timer_armed_ = false;
        return;
    }
    if (timer_armed_ && timer_deadline_ms_ <= *deadline) return;
    timer_armed_ = true;
    timer_deadline_ms_ = *deadline;
    // Service::now_ms() reads CLOCK_MONOTONIC, as steady_clock does: the same time line.
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(*deadline)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or cancelled meanwhile
        timer_armed_ = false;
        service_.tick();
        arm_timer();
    });
}

}  // namespace echomux::asio
