// SPDX-License-Identifier: BSL-1.0
// The process around the event loops: runs each loop on a thread of its own, answers the
// signals (drain after shutdown_delay, reload, counters, exit at once on a second stop
// signal; any other signal is logged and ignored) and decides the exit status. A loop that fails makes the others drain and the
// status 1: a half-working server is worse than a restarted one.
#pragma once

#include "echomux/backends/event_loop.hpp"
#include "echomux/core/clock.hpp"
#include "echomux/core/shared_state.hpp"
#include "echomux/server/loop_watch.hpp"
#include "echomux/server/service_notify.hpp"
#include "echomux/server/signal_source.hpp"
#include "echomux/server/watchdog.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace echomux {

class Supervisor {
public:
    // One loop to make: the sockets it serves and the state it shares with its listener's
    // other loops. Each listener has loops of its own, so a slow one never delays another.
    struct LoopPlan {
        SharedState* shared;
        Fd listener;
        Fd udp;  // empty: udp = off
        bool inherited = false;  // the listener is the service manager's (never shut by us)
    };
    // make_event_loop, or a test's fakes. What it throws fails the start (see the constructor).
    using LoopFactory = std::function<std::unique_ptr<EventLoop>(SharedState&, Fd listener, Fd udp)>;
    // The signals that do not stop the server; each runs on the supervisor's thread.
    struct Actions {
        std::function<void()> reload;        // SIGHUP; a good reload calls reconfigure()
        std::function<void()> log_counters;  // SIGUSR1
    };

    // Makes every loop, none running yet; throws what the factory throws.
    Supervisor(const Config& config, std::vector<LoopPlan> plans, const LoopFactory& make_loop, SignalSource& signals,
               ServiceNotifier& notifier, const Clock& clock = monotonic_clock());
    ~Supervisor();  // joins any thread still running (run() has returned or was never called)
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    std::vector<const Stats*> stats() const;
    std::vector<const Stats*> stats(const SharedState& listener) const;  // its loops'
    const std::atomic<bool>& stopping() const { return stopping_; }  // readiness (/healthz) says 503
    const std::atomic<bool>& draining() const { return draining_; }  // the loops were asked to drain
    // Every loop's heartbeat, named, against the main listener's liveness_timeout.
    const LoopWatch& loops() const { return *watch_; }
    // Feed systemd's watchdog from run(): WATCHDOG=1 when due, while no loop is wedged.
    void set_watchdog(Watchdog watchdog) { watchdog_ = watchdog; }

    // Runs every loop until all have ended. Returns the exit status: 0 after a drain, 1 when
    // a loop failed (its run() threw, or its thread could not start).
    int run(const Actions& actions);
    // A reload's settings, one Config per listener (by name; the main one first): each loop
    // takes its listener's, and shutdown_delay and drain_timeout come from the main one.
    void reconfigure(const std::vector<Config>& listeners);

private:
    struct Slot {
        const SharedState* shared = nullptr;  // its listener's
        std::unique_ptr<EventLoop> loop;
        std::thread thread;
        std::atomic<bool> ended{false};
        std::optional<std::string> failure;  // why it failed, written before `ended`
        bool reported = false;               // its failure is logged (supervisor's thread only)
        // The listener this process bound for it, as it was at the start: stop_listening()
        // shuts it only while the descriptor still names that socket (not after the drain
        // closed it and the number went to a client). -1: none, or the service manager's.
        int listener_fd = -1;
        unsigned long long listener_dev = 0, listener_ino = 0;
    };

    void start_threads();
    void finish(Slot& slot, std::optional<std::string> failure);
    bool report_failures();
    bool all_ended() const;
    void on_signal(int sig, const Actions& actions);
    void drain_all();
    void stop_listening(Slot& slot);
    std::optional<long long> time_to_drain() const;
    void feed_watchdog();
    std::optional<long long> next_wake() const;  // the sooner of the drain and the watchdog

    Config config_;
    std::vector<Slot> slots_;
    SignalSource& signals_;
    ServiceNotifier& notifier_;
    const Clock& clock_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> draining_{false};
    bool failed_ = false;
    bool signalled_ = false;                // a stop signal came: the next one exits at once
    std::optional<long long> drain_at_ms_;  // end of shutdown_delay
    std::optional<LoopWatch> watch_;        // made with the loops
    Watchdog watchdog_;                     // off unless set_watchdog()
    bool watchdog_starved_ = false;         // said once per wedge
};

}  // namespace echomux
