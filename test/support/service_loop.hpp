// SPDX-License-Identifier: BSL-1.0
// The core's pieces as a loop holds them, for tests that drive a Service by hand: hooks that
// do nothing, a socket transport that records what the loop would do, and a Service on a
// manual clock with connections on completion transports.
#pragma once

#include "echomux/backends/socket_transport.hpp"
#include "echomux/core/service.hpp"
#include "support/completion_transport.hpp"
#include "support/manual_clock.hpp"

#include <memory>
#include <vector>

namespace echomux::test {

struct NoHooks final : LoopHooks {
    void adopt(int) override {}
    void watch_listener(bool) override {}
    void close_listener() override {}
    int listener_fd() override { return -1; }
};

// A socket as a readiness loop owns it; release() and call_soon() are only noted.
struct TestSocket final : SocketTransport {
    using SocketTransport::SocketTransport;
    void release() override { released = true; }
    void call_soon() override { called_soon = true; }
    bool released = false, called_soon = false;
};

// Settings from the defaults with `change` made: with([](Config& c) { c.delay = 0.2; }).
inline Config with(void (*change)(Config&)) {
    Config c;
    change(c);
    return c;
}

template <class Hooks>
struct ServiceLoop {
    explicit ServiceLoop(Config c = Config{}) : shared(c), service(shared, hooks, clock) {}
    // What an accept does before a Connection takes the slot.
    CompletionConnection& connect() {
        shared.active.fetch_add(1);
        connections.emplace_back(std::make_unique<CompletionConnection>(service));
        connections.back()->connection.start();
        return *connections.back();
    }
    // What every loop does when it wakes: read the clock, then run what is due.
    void advance(long long ms) {
        clock.advance(ms);
        service.tick();
    }
    long long due_in() const { return *service.next_deadline() - clock.now_ms(); }

    ManualClock clock;
    Hooks hooks;
    SharedState shared;
    Service service;
    std::vector<std::unique_ptr<CompletionConnection>> connections;
};

}  // namespace echomux::test
