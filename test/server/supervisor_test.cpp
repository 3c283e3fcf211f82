// SPDX-License-Identifier: BSL-1.0
// The supervisor with fake loops, scripted signals and a manual clock: which loops are
// asked to drain, when, and the exit status. No sockets, no sleeps.
#include "echomux/server/supervisor.hpp"

#include "scripted_signals.hpp"
#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

using namespace echomux;
using echomux::test::ManualClock;
using echomux::test::ScriptedSignals;

namespace {

// Runs until asked to drain (as a real loop whose drain finishes at once), or throws when
// told to fail: at once, or when the test says. A loop never asked to drain gives up after
// 10 s, so a missing drain fails the test instead of hanging it.
class FakeLoop final : public EventLoop {
public:
    FakeLoop(bool fails, Fd listener) : listener(std::move(listener)), failing_(fails) {}
    void run() override {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, std::chrono::seconds(10), [this] { return drains > 0 || failing_; }))
            gave_up = true;
        if (failing_) throw std::runtime_error("epoll_wait: Input/output error");
    }
    void fail_now() {
        std::lock_guard lock(mutex_);
        failing_ = true;
        changed_.notify_all();
    }
    void request_drain() override {
        std::lock_guard lock(mutex_);
        ++drains;
        changed_.notify_all();
    }
    void request_reconfigure(const Config& next, std::function<void()> applied) override {
        reconfigured_with = next.max_connections;
        applied();
    }
    const Stats& stats() const override { return stats_; }
    const LoopHeartbeat& heartbeat() const override { return heartbeat_; }

    std::atomic<int> drains{0};
    std::atomic<bool> gave_up{false};
    std::atomic<std::size_t> reconfigured_with{0};
    Fd listener;  // kept, as a real loop keeps its own

private:
    bool failing_;
    std::mutex mutex_;
    std::condition_variable changed_;
    LoopHeartbeat heartbeat_;
    Stats stats_;
};

// A supervisor over `count` fake loops; loop `failing` (if any) throws from run().
struct Fixture {
    explicit Fixture(std::size_t count, Config c = {}, std::optional<std::size_t> failing = std::nullopt,
                     std::vector<Supervisor::LoopPlan> plans = {})
        : config(c), shared(config) {
        for (auto& plan : plans) plan.shared = &shared;
        for (std::size_t i = plans.size(); i < count; ++i) plans.push_back({&shared, Fd(), Fd()});
        std::size_t made = 0;
        supervisor = std::make_unique<Supervisor>(
            config, std::move(plans),
            [&](SharedState&, Fd listener, Fd) {
                auto loop = std::make_unique<FakeLoop>(failing == made++, std::move(listener));
                loops.push_back(loop.get());
                return loop;
            },
            signals, notifier, clock);
    }
    Config config;
    SharedState shared;
    ScriptedSignals signals;
    ServiceNotifier notifier;
    ManualClock clock;
    std::vector<FakeLoop*> loops;
    std::unique_ptr<Supervisor> supervisor;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_loop_that_fails_makes_every_other_loop_drain_and_the_status_1) {
    Fixture f(4, {}, 2);
    BOOST_TEST(f.supervisor->run({}) == 1);
    for (std::size_t i : {0, 1, 3}) {
        BOOST_TEST(f.loops[i]->drains.load() == 1, "loop " << i);
        BOOST_TEST(!f.loops[i]->gave_up.load(), "loop " << i << " was never asked to drain");
    }
    BOOST_TEST(f.supervisor->draining().load());
    BOOST_TEST(f.supervisor->stopping().load());  // readiness says 503 while the others drain
}

namespace {
Fd listening_socket() {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    BOOST_REQUIRE(::listen(fd.get(), 8) == 0);
    return fd;
}

bool listening(const Fd& fd) {
    int value = -1;
    socklen_t length = sizeof value;
    return ::getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value == 1;
}
}  // namespace

// A failed loop's listener stops listening at once (what queued there nobody would accept,
// and io_uring's ring would hold it past the exit), unless the service manager owns it.
BOOST_AUTO_TEST_CASE(a_failed_loop_stops_listening_unless_the_socket_is_inherited) {
    for (const bool inherited : {false, true}) {
        std::vector<Supervisor::LoopPlan> plans;
        plans.push_back({nullptr, listening_socket(), Fd(), inherited});
        Fixture f(1, {}, 0, std::move(plans));
        BOOST_REQUIRE(listening(f.loops[0]->listener));
        BOOST_TEST(f.supervisor->run({}) == 1);
        BOOST_TEST(listening(f.loops[0]->listener) == inherited, "inherited = " << inherited);
    }
}

BOOST_AUTO_TEST_CASE(the_only_loop_failing_is_status_1_too) {
    Fixture f(1, {}, 0);
    BOOST_TEST(f.supervisor->run({}) == 1);
}

BOOST_AUTO_TEST_CASE(sigterm_drains_every_loop_and_the_status_is_0) {
    Fixture f(3);
    f.signals.send(SIGTERM);
    BOOST_TEST(f.supervisor->run({}) == 0);
    for (FakeLoop* loop : f.loops) {
        BOOST_TEST(loop->drains.load() == 1);
        BOOST_TEST(!loop->gave_up.load());
    }
}

BOOST_AUTO_TEST_CASE(sighup_and_sigusr1_run_their_actions_and_the_loops_keep_serving) {
    Fixture f(2);
    int reloads = 0, counters = 0;
    Config next = f.config;
    next.max_connections = 77;
    f.signals.send(SIGHUP);
    f.signals.send(SIGUSR1);
    f.signals.send(SIGTERM);
    const Supervisor::Actions actions{[&] {
                                          BOOST_TEST(f.loops[0]->drains.load() == 0);
                                          ++reloads;
                                          f.supervisor->reconfigure({next});
                                      },
                                      [&] { ++counters; }};
    BOOST_TEST(f.supervisor->run(actions) == 0);
    BOOST_TEST(reloads == 1);
    BOOST_TEST(counters == 1);
    for (FakeLoop* loop : f.loops) BOOST_TEST(loop->reconfigured_with.load() == 77u);
}

// shutdown_delay = 3 s: readiness says 503 at once, the drain starts at 3000 ms exactly.
BOOST_AUTO_TEST_CASE(shutdown_delay_keeps_the_loops_serving_until_its_exact_end) {
    Config config;
    config.shutdown_delay = 3;
    Fixture f(2, config);
    f.signals.send(SIGTERM);
    int status = -1;
    std::thread supervisor([&] { status = f.supervisor->run({}); });

    std::optional<long long> timeout;
    BOOST_REQUIRE(f.signals.wait_for_wait(2, timeout));  // the first wait took SIGTERM
    BOOST_TEST(timeout.value_or(-1) == 3000);
    BOOST_TEST(f.supervisor->stopping().load());
    BOOST_TEST(!f.supervisor->draining().load());

    f.clock.advance(2999);
    f.signals.wake();
    BOOST_REQUIRE(f.signals.wait_for_wait(3, timeout));
    BOOST_TEST(timeout.value_or(-1) == 1);
    for (FakeLoop* loop : f.loops) BOOST_TEST(loop->drains.load() == 0);

    f.clock.advance(1);
    f.signals.wake();
    supervisor.join();
    BOOST_TEST(status == 0);
    for (FakeLoop* loop : f.loops) {
        BOOST_TEST(loop->drains.load() == 1);
        BOOST_TEST(!loop->gave_up.load());
    }
}

// A loop that fails during shutdown_delay: the others drain at once, not at its end.
BOOST_AUTO_TEST_CASE(a_loop_failing_during_shutdown_delay_drains_the_others_at_once) {
    Config config;
    config.shutdown_delay = 3;
    Fixture f(2, config);
    f.signals.send(SIGTERM);
    int status = -1;
    std::thread supervisor([&] { status = f.supervisor->run({}); });
    std::optional<long long> timeout;
    BOOST_REQUIRE(f.signals.wait_for_wait(2, timeout));
    BOOST_TEST(!f.supervisor->draining().load());
    f.loops[0]->fail_now();  // the clock stays where it is: the delay is not over
    supervisor.join();
    BOOST_TEST(status == 1);
    BOOST_TEST(f.loops[1]->drains.load() == 1);
    BOOST_TEST(!f.loops[1]->gave_up.load());
}

// A stray signal (kill -USR2, an alarm) is logged and ignored: no drain, no exit.
BOOST_AUTO_TEST_CASE(a_signal_with_no_meaning_neither_drains_nor_stops) {
    Fixture f(2);
    for (int sig : {SIGUSR2, SIGALRM, SIGPROF, SIGRTMIN + 3}) f.signals.send(sig);
    int status = -1;
    std::thread supervisor([&] { status = f.supervisor->run({}); });
    std::optional<long long> timeout;
    BOOST_REQUIRE(f.signals.wait_for_wait(5, timeout));  // each signal taken, and waiting again
    BOOST_TEST(!f.supervisor->stopping().load());
    for (FakeLoop* loop : f.loops) BOOST_TEST(loop->drains.load() == 0);
    f.signals.send(SIGTERM);
    supervisor.join();
    BOOST_TEST(status == 0);
    for (FakeLoop* loop : f.loops) BOOST_TEST(loop->drains.load() == 1);
}
