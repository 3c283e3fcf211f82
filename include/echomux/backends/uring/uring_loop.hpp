// SPDX-License-Identifier: BSL-1.0
// The io_uring backend (liburing): completions, not readiness. One ring per loop thread,
// a multishot accept on the listener (one at a time near the open file limit), receives
// into a provided-buffer ring (idle connections hold no buffer), sends of what came in,
// and every submission of a turn going in with the wait for the next one (one
// io_uring_enter per turn). It turns as every loop does (LoopTurn); the eventfd of its
// LoopQueue, polled by the ring, wakes it for a drain or a reload. UDP: the socket is polled (multishot) and
// UdpEcho::on_read answers.
#pragma once

#include "echomux/backends/connection_table.hpp"
#include "echomux/backends/event_loop.hpp"
#include "echomux/backends/loop_queue.hpp"
#include "echomux/backends/loop_turn.hpp"
#include "echomux/backends/udp_echo.hpp"
#include "echomux/backends/uring/buffer_ring.hpp"
#include "echomux/backends/uring/completion.hpp"
#include "echomux/backends/uring/ring.hpp"
#include "echomux/backends/uring/send_copies.hpp"

#include <memory>
#include <vector>

namespace echomux::uring {

class UringConnection;

class UringLoop final : public EventLoop, private LoopHooks {
public:
    // Throws std::runtime_error with one line when the kernel refuses io_uring.
    UringLoop(SharedState& shared, Fd listener, Fd udp);
    ~UringLoop() override;
    void run() override;
    void request_drain() override;
    void request_reconfigure(const Config& next, std::function<void()> applied) override;
    const Stats& stats() const override { return service_.stats(); }
    const LoopHeartbeat& heartbeat() const override { return turn_.heartbeat(); }

    // For connections.
    io_uring_sqe* sqe();  // a free submission entry: submits what waits when the ring is full
    void track(int change) { in_flight_ += change; }  // operations submitted (+1) or done (-1)
    BufferRing& buffers() { return buffers_; }
    SendCopies& send_copies() { return send_copies_; }
    void cancel(Completion& operation);           // its last completion comes with -ECANCELED
    void call_soon(UringConnection& connection);  // resume() it before the next wait
    void destroy(UringConnection& connection);    // freed after this turn

private:
    // One of the loop's own operations (accept, UDP poll, wake poll): calls back a method.
    struct Callback final : Completion {
        Callback(UringLoop& loop, void (UringLoop::*method)(const io_uring_cqe&)) : loop(loop), method(method) {}
        void on_complete(const io_uring_cqe& cqe) override { (loop.*method)(cqe); }
        UringLoop& loop;
        void (UringLoop::*method)(const io_uring_cqe&);
    };

    void adopt(int fd) override;
    void watch_listener(bool watch) override;
    void close_listener() override;
    int listener_fd() override { return listener_open_ ? listener_.get() : -1; }

    void turn();
    void wait(int timeout_ms);
    void dispatch();
    void arm_accept();
    void arm_udp();
    void arm_wake();
    void on_accept(const io_uring_cqe& cqe);
    void on_udp(const io_uring_cqe& cqe);
    void on_wake(const io_uring_cqe& cqe);

    Service service_;  // first: connections detach from it as they go
    Ring ring_;        // before what is registered with it, and the operations using it
    BufferRing buffers_;
    SendCopies send_copies_;
    UdpEcho udp_echo_;
    Fd listener_, udp_;
    LoopQueue queue_;
    LoopTurn<UringConnection*, UringConnection> turn_;
    Callback accept_callback_{*this, &UringLoop::on_accept};
    Callback udp_callback_{*this, &UringLoop::on_udp};
    Callback wake_callback_{*this, &UringLoop::on_wake};
    const bool one_listener_;    // SharedState::one_listener
    bool listener_open_ = true;  // false once draining: closed as soon as its accept is over
    bool accepting_ = true;      // false while paused (EMFILE) or draining
    bool accept_armed_ = false, udp_armed_ = false, udp_again_ = false;
    bool accept_multishot_ = false;  // the armed accept is multishot (Service::may_accept_in_bulk)
    bool udp_open_;
    long in_flight_ = 0;  // operations whose last completion has not come: run() waits for them
    ConnectionTable<UringConnection> connections_;
    std::vector<io_uring_cqe> completions_;  // a batch, copied out so the ring's slots are free
};

}  // namespace echomux::uring
