// SPDX-License-Identifier: BSL-1.0
// The native backends' event loop (after Redis's ae): one Selector, the listener, the UDP
// socket (udp = on), a queue for work posted by other threads, and the shared Service,
// turning as every loop does (LoopTurn). The same loop runs on select, poll and epoll; only
// the Selector differs.
#pragma once

#include "echomux/backends/connection_table.hpp"
#include "echomux/backends/event_loop.hpp"
#include "echomux/backends/loop_queue.hpp"
#include "echomux/backends/loop_turn.hpp"
#include "echomux/backends/native/selector.hpp"
#include "echomux/backends/udp_echo.hpp"

#include <memory>
#include <vector>

namespace echomux::native {

class NativeConnection;

class NativeLoop final : public EventLoop, private LoopHooks {
public:
    NativeLoop(SharedState& shared, Fd listener, Fd udp, std::unique_ptr<Selector> selector);
    ~NativeLoop() override;
    void run() override;
    void request_drain() override;
    void request_reconfigure(const Config& next, std::function<void()> applied) override;
    const Stats& stats() const override { return service_.stats(); }
    const LoopHeartbeat& heartbeat() const override { return turn_.heartbeat(); }

    Selector& selector() { return *selector_; }
    // Serve `handler` again this turn's end, with no new event coming (a fairness budget, or
    // bytes a connection holds: no selector reports those, level-triggered or not).
    void call_again(Handler& handler, int fd);
    // The connection has closed its fd: free it once the current callbacks are over.
    void destroy(NativeConnection& connection);

private:
    // The listener and the wake fd are handlers too; they read like the selectors
    // server's accept() callback.
    struct Callback final : Handler {
        Callback(NativeLoop& loop, void (NativeLoop::*method)()) : loop(loop), method(method) {}
        void on_events(unsigned) override { (loop.*method)(); }
        NativeLoop& loop;
        void (NativeLoop::*method)();
    };

    void adopt(int fd) override;
    void watch_listener(bool watch) override;
    void close_listener() override;
    int listener_fd() override { return listener_.get(); }
    void on_accept();
    void on_udp();
    void on_wake();
    void dispatch(const Ready& ready);

    Service service_;  // first: connections detach from it as they go
    std::unique_ptr<Selector> selector_;
    UdpEcho udp_echo_;
    Fd listener_, udp_;
    LoopQueue queue_;
    LoopTurn<Ready, NativeConnection> turn_;
    Callback accept_callback_{*this, &NativeLoop::on_accept};
    Callback udp_callback_{*this, &NativeLoop::on_udp};
    Callback wake_callback_{*this, &NativeLoop::on_wake};
    bool listener_watched_ = false;
    ConnectionTable<NativeConnection> connections_;
};

}  // namespace echomux::native
