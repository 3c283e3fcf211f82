// SPDX-License-Identifier: BSL-1.0
// The Boost.Asio backend: an io_context whose reactor reports readiness (async_wait) to
// the shared protocol core, exactly as a selectors loop would.
#pragma once

#include "echomux/backends/asio/read_buffer_pool.hpp"
#include "echomux/backends/event_loop.hpp"
#include "echomux/backends/udp_echo.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace echomux::asio {

class AsioLoop final : public EventLoop, private LoopHooks {
public:
    AsioLoop(SharedState& shared, Fd listener, Fd udp);
    ~AsioLoop() override;
    void run() override;
    void request_drain() override;
    void request_reconfigure(const Config& next, std::function<void()> applied) override;
    const Stats& stats() const override { return service_.stats(); }
    const LoopHeartbeat& heartbeat() const override { return heartbeat_; }

private:
    void adopt(int fd) override;
    void watch_listener(bool watch) override;
    void close_listener() override;
    int listener_fd() override { return acceptor_.is_open() ? acceptor_.native_handle() : -1; }
    void deadline_changed() override;

    void wait_for_accept();
    void on_accept();
    void wait_for_udp();
    void on_udp();
    void arm_timer();  // the timer follows service_.next_deadline()
    void arm_sweep();  // while buffers are lent, take them back from idle connections
    void beat();       // stamps the heartbeat, and again a period later until finished

    // Declared first, destroyed last: sessions still owned by io_'s handlers detach from it.
    Service service_;
    // Before io_: sessions freed with io_'s handlers give their buffers back to it.
    ReadBufferPool read_buffers_;
    // One thread runs io_: the reactor needs no per-descriptor locks (posts from other
    // threads still lock the scheduler).
    boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::tcp protocol_;
    UdpEcho udp_echo_;
    boost::asio::ip::udp::socket udp_;  // closed with udp = off, and once draining
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer sweep_timer_;
    boost::asio::steady_timer beat_timer_;
    LoopHeartbeat heartbeat_;
    long long cpu_counted_us_ = 0;  // this thread's CPU time already added to heartbeat_
    bool beat_armed_ = false;
    bool sweep_armed_ = false;
    bool timer_armed_ = false;
    bool destroying_ = false;  // sessions freed with io_ detach after timer_ is gone
    long long timer_deadline_ms_ = 0;
    bool accepting_ = true;
    bool accept_armed_ = false;
};

}  // namespace echomux::asio
