// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/supervisor.hpp"

#include "echomux/util/log.hpp"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <system_error>

namespace echomux {
namespace {

// "SIGTERM", as operators write it (strsignal says "Terminated").
std::string signal_name(int sig) {
    if (sig > SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);  // as kill -l
    const char* abbreviation = ::sigabbrev_np(sig);
    return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(sig);
}

}  // namespace

Supervisor::Supervisor(const Config& config, std::vector<LoopPlan> plans, const LoopFactory& make_loop,
                       SignalSource& signals, ServiceNotifier& notifier, const Clock& clock)
    : config_(config), slots_(plans.size()), signals_(signals), notifier_(notifier), clock_(clock) {
    for (std::size_t i = 0; i < plans.size(); ++i) {
        slots_[i].shared = plans[i].shared;
        struct stat identity {};
        if (!plans[i].inherited && plans[i].listener && ::fstat(plans[i].listener.get(), &identity) == 0) {
            slots_[i].listener_fd = plans[i].listener.get();
            slots_[i].listener_dev = identity.st_dev;
            slots_[i].listener_ino = identity.st_ino;
        }
        slots_[i].loop = make_loop(*plans[i].shared, std::move(plans[i].listener), std::move(plans[i].udp));
    }
    std::vector<WatchedLoop> watched;
    for (const auto& slot : slots_) {
        unsigned index = 0;  // among its listener's loops
        for (const auto& before : slots_) {
            if (&before == &slot) break;
            if (before.shared == slot.shared) ++index;
        }
        watched.push_back(
            {slot.shared->config.name, index, backend_label(slot.shared->config), &slot.loop->heartbeat()});
    }
    watch_.emplace(std::move(watched), config.liveness_timeout, clock);
}

Supervisor::~Supervisor() {
    for (auto& slot : slots_)
        if (slot.thread.joinable()) slot.thread.join();
}

std::vector<const Stats*> Supervisor::stats() const {
    std::vector<const Stats*> stats;
    for (const auto& slot : slots_) stats.push_back(&slot.loop->stats());
    return stats;
}

std::vector<const Stats*> Supervisor::stats(const SharedState& listener) const {
    std::vector<const Stats*> stats;
    for (const auto& slot : slots_)
        if (slot.shared == &listener) stats.push_back(&slot.loop->stats());
    return stats;
}

int Supervisor::run(const Actions& actions) {
    start_threads();
    while (!all_ended()) {
        if (report_failures() && !draining_) drain_all();
        if (drain_at_ms_ && !draining_ && clock_.now_ms() >= *drain_at_ms_) {
            drain_all();
            log::info("shutdown_delay over: no longer accepting; draining for up to ", config_.drain_timeout, "s");
        }
        feed_watchdog();
        const int sig = signals_.wait(next_wake());
        if (sig != 0) on_signal(sig, actions);
    }
    report_failures();  // of the loop that ended last
    for (auto& slot : slots_)
        if (slot.thread.joinable()) slot.thread.join();  // not joinable: its thread never started
    return failed_ ? 1 : 0;
}

// Returns once every running loop has taken its settings (bounded: a wedged loop is
// named, not waited for), so that "reload: done", READY=1 and `systemctl reload`
// returning all mean that new connections get the new settings.
void Supervisor::reconfigure(const std::vector<Config>& listeners) {
    config_ = listeners.front();
    struct Pending {
        std::mutex mutex;
        std::condition_variable taken;
        std::size_t loops = 0;
    };
    const auto pending = std::make_shared<Pending>();  // outlives a late loop's call
    for (auto& slot : slots_)
        for (const Config& next : listeners) {
            if (next.name != slot.shared->config.name || slot.ended.load(std::memory_order_acquire)) continue;
            {
                std::lock_guard<std::mutex> lock(pending->mutex);
                ++pending->loops;
            }
            slot.loop->request_reconfigure(next, [pending] {
                std::lock_guard<std::mutex> lock(pending->mutex);
                --pending->loops;
                pending->taken.notify_all();
            });
        }
    std::unique_lock<std::mutex> lock(pending->mutex);
    if (!pending->taken.wait_for(lock, std::chrono::seconds(5), [&] { return pending->loops == 0; }))
        log::warn("reload: ", pending->loops, " event loop(s) did not take the new settings within 5 s; they will when they turn");
}

void Supervisor::start_threads() {
    for (auto& slot : slots_) {
        try {
            slot.thread = std::thread([this, &slot] {
                try {
                    slot.loop->run();
                    finish(slot, std::nullopt);
                } catch (const std::exception& e) {
                    finish(slot, e.what());
                } catch (...) {
                    finish(slot, "an exception that is not a std::exception");
                }
            });
        } catch (const std::system_error& e) {  // this loop and the ones after it never run
            finish(slot, std::string("cannot start its thread: ") + e.what());
            for (Slot* rest = &slot + 1; rest != slots_.data() + slots_.size(); ++rest) finish(*rest, std::nullopt);
            return;
        }
    }
}

void Supervisor::finish(Slot& slot, std::optional<std::string> failure) {
    slot.failure = std::move(failure);
    slot.ended.store(true, std::memory_order_release);
    signals_.wake();
}

// One line per failed loop, from this thread; true when there was a new one.
bool Supervisor::report_failures() {
    bool any = false;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (slot.reported || !slot.ended.load(std::memory_order_acquire) || !slot.failure) continue;
        slot.reported = true;
        any = true;
        const char* next = failed_ ? "" : slots_.size() > 1 ? "; draining the other event loops, then exiting with status 1"
                                                            : "; exiting with status 1";
        log::error("event loop ", i + 1, " of ", slots_.size(), " failed: ", *slot.failure, next);
        failed_ = true;
        stop_listening(slot);  // nobody accepts from it any more: new clients go elsewhere or are refused
    }
    return any;
}

bool Supervisor::all_ended() const {
    return std::all_of(slots_.begin(), slots_.end(),
                       [](const Slot& slot) { return slot.ended.load(std::memory_order_acquire); });
}

// After the first stop signal: shutdown_delay of serving as usual while readiness says 503
// (load balancers stop sending new clients), then the drain. A second one exits at once.
void Supervisor::on_signal(int sig, const Actions& actions) {
    if (sig == SIGHUP || sig == SIGUSR1) {
        const auto& action = sig == SIGHUP ? actions.reload : actions.log_counters;
        if (action) action();
        return;
    }
    if (sig != SIGTERM && sig != SIGINT) {
        log::warn("ignoring ", signal_name(sig), ": echomux answers SIGTERM, SIGINT, SIGHUP and SIGUSR1 only");
        return;
    }
    if (signalled_) {  // not just draining: a failed loop starts a drain the operator did not ask for
        log::warn("second ", signal_name(sig), ": exiting now");
        for (auto& slot : slots_) stop_listening(slot);
        std::_Exit(128 + sig);
    }
    signalled_ = true;
    notifier_.stopping("received " + signal_name(sig));
    if (config_.shutdown_delay > 0 && !draining_) {
        stopping_ = true;  // before the log line: whoever reads it may rely on /healthz saying 503
        drain_at_ms_ = clock_.now_ms() + static_cast<long long>(std::ceil(config_.shutdown_delay * 1000));
        log::info("received ", signal_name(sig), ": /healthz says 503; still accepting for ", config_.shutdown_delay,
                  "s (shutdown_delay), then draining for up to ", config_.drain_timeout,
                  "s (send again to exit at once)");
        return;
    }
    drain_all();  // before the log line: whoever reads it may rely on /healthz saying 503
    log::info("received ", signal_name(sig), ": no longer accepting; draining for up to ", config_.drain_timeout,
              "s (send again to exit at once)");
}

void Supervisor::drain_all() {
    stopping_ = true;
    draining_ = true;
    for (auto& slot : slots_) slot.loop->request_drain();
    const std::size_t active = slots_.empty() ? 0 : slots_.front().shared->process.active.load(std::memory_order_acquire);
    notifier_.status("draining " + std::to_string(active) + " connections");
}

// From the supervisor's thread, not a loop's: a wedged loop cannot feed it, and neither can
// a wedged supervisor (which would no longer answer signals).
void Supervisor::feed_watchdog() {
    if (!watchdog_.take_due(clock_.now_ms())) return;
    if (const auto wedged = watch_->wedged()) {
        if (!watchdog_starved_)
            log::error(*wedged, ": not feeding the systemd watchdog (liveness_timeout ", config_.liveness_timeout,
                       "s)");
        watchdog_starved_ = true;
        return;
    }
    if (watchdog_starved_) log::info("every event loop turns again: feeding the systemd watchdog");
    watchdog_starved_ = false;
    notifier_.notify("WATCHDOG=1");
}

std::optional<long long> Supervisor::next_wake() const {
    const std::optional<long long> drain = time_to_drain(), watchdog = watchdog_.due_in_ms(clock_.now_ms());
    if (!drain) return watchdog;
    if (!watchdog) return drain;
    return std::min(*drain, *watchdog);
}

// Stops a listener of ours listening now, whatever still holds it: an exit that does not wait
// for the loops leaves io_uring's armed accept holding the socket until the kernel tears the
// ring down, 10-20 ms after the process is gone, and a restart in between failed with "Address
// already in use". shutdown() ends the listening state at once (what was queued is reset, as
// the exit would); the socket stays bound, but SO_REUSEADDR lets a new listener bind beside a
// socket that does not listen. Not the service manager's socket: it outlives us on purpose.
void Supervisor::stop_listening(Slot& slot) {
    if (slot.listener_fd < 0) return;
    struct stat identity {};
    if (::fstat(slot.listener_fd, &identity) == 0 && identity.st_dev == slot.listener_dev &&
        identity.st_ino == slot.listener_ino)
        ::shutdown(slot.listener_fd, SHUT_RD);
    slot.listener_fd = -1;
}

std::optional<long long> Supervisor::time_to_drain() const {
    if (!drain_at_ms_ || draining_) return std::nullopt;
    return std::max(0LL, *drain_at_ms_ - clock_.now_ms());
}

}  // namespace echomux
