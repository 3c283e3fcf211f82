// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/server.hpp"

#include "echomux/backends/event_loop_factory.hpp"
#include "echomux/server/descriptor_budget.hpp"
#include "echomux/server/listener.hpp"
#include "echomux/util/log.hpp"
#include "echomux/server/metrics_server.hpp"
#include "echomux/server/service_notify.hpp"
#include "echomux/util/version.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace echomux {
namespace {

// "SIGTERM", as operators write it (strsignal says "Terminated").
std::string signal_name(int sig) {
    const char* abbreviation = ::sigabbrev_np(sig);
    return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(sig);
}

// SIGHUP: the settings are read again exactly as at start (same command line, conf file
// and environment) and checked whole before anything changes. A bad file is one logged
// line and the running settings stay. A good one is applied to what can change while
// serving (each change logged by key); a changed key that needs a restart is named.
void reload(const std::function<LoadedConfig()>& load, Config& running,
            std::map<std::string, std::string>& running_values, SharedState& shared,
            const std::vector<std::unique_ptr<EventLoop>>& loops) {
    LoadedConfig next;
    Config fitted;
    try {
        next = load();
        fitted = DescriptorBudget(with_reloadable(running, next.config), raise_open_file_limit()).fitted();
    } catch (const std::exception& e) {
        log::error("reload: ", e.what(), "; the running settings stay");
        return;
    }
    for (const auto& warning : next.warnings) log::warn("reload: ", warning);
    int applied = 0, restart = 0;
    for (const auto& [key, value] : next.values) {
        if (running_values[key] == value) continue;
        if (reloadable(key)) {
            log::info("reload: ", key, " = ", value);
            running_values[key] = value;
            ++applied;
        } else {
            log::warn("reload: ", key, " = ", value, " takes a restart; still ", running_values[key]);
            ++restart;
        }
    }
    running = fitted;
    log::set_level(running.log_level);
    log::set_format(running.log_format);
    shared.max_connections.store(running.max_connections);
    shared.mode.store(running.mode);
    for (const auto& loop : loops) loop->request_reconfigure(running);
    log::info("reload: done: ", applied, " setting(s) applied, ", restart, " need a restart");
}

}  // namespace

int run_server(const LoadedConfig& loaded, const std::function<LoadedConfig()>& load_again) {
    const Config& requested = loaded.config;
    // Signals are taken synchronously by this thread (sigwaitinfo below), never by the
    // event loop threads, which inherit this mask. A loop that ends says so with
    // kLoopEnded, so this thread sleeps until something happens instead of polling.
    const int kLoopEnded = SIGRTMIN;
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigset_t wake_signals = stop_signals;
    sigaddset(&wake_signals, kLoopEnded);
    sigaddset(&wake_signals, SIGUSR1);  // log the counters
    sigaddset(&wake_signals, SIGHUP);   // read the settings again
    pthread_sigmask(SIG_BLOCK, &wake_signals, nullptr);
    // As PID 1 in a container, a signal whose action is the default may be dropped before
    // it is queued; a handler (never run: the signals stay blocked) rules that out.
    struct sigaction noop {};
    noop.sa_handler = [](int) {};
    ::sigaction(SIGTERM, &noop, nullptr);
    ::sigaction(SIGINT, &noop, nullptr);
    ::sigaction(SIGUSR1, &noop, nullptr);
    ::sigaction(SIGHUP, &noop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // belt and braces: sends already use MSG_NOSIGNAL

    const std::optional<std::uint64_t> open_files = raise_open_file_limit();
    Config config;  // as requested, with max_connections what the open file limit allows (and reloaded)
    std::map<std::string, std::string> values = loaded.values;  // as written, for naming what a reload changes
    try {
        config = DescriptorBudget(requested, open_files).fitted();
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    Listeners listeners;
    SharedState shared(config);
    shared.descriptor_budget = DescriptorBudget(config, open_files).echo_connections();
    std::vector<std::unique_ptr<EventLoop>> loops;
    std::atomic<bool> stopping{false};  // /healthz (readiness) answers 503 once set
    std::atomic<bool> draining{false};  // the listeners are closed
    std::unique_ptr<MetricsServer> metrics;
    std::vector<const Stats*> stats;
    try {
        listeners = open_listeners(config);
        shared.one_listener = listeners.inherited && listeners.sockets.size() > 1;
        for (std::size_t i = 0; i < listeners.sockets.size(); ++i) {
            Fd udp = i < listeners.udp_sockets.size() ? std::move(listeners.udp_sockets[i]) : Fd();
            loops.push_back(make_event_loop(shared, std::move(listeners.sockets[i]), std::move(udp)));
            stats.push_back(&loops.back()->stats());
        }
        if (config.metrics_port != 0)
            metrics = std::make_unique<MetricsServer>(MetricsSource{shared, stats, draining, stopping});
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }

    const auto seconds = [](double s) {  // "300s", as in the conf file
        std::ostringstream out;
        out << s << "s";
        return out.str();
    };
    log::info_fields("listening on " + listeners.address,
                     {{"version", version()}, {"revision", revision()}, {"backend", backend_label(config)},
                      {"threads", config.threads}, {"mode", mode_name(config.mode)},
                      {"max_connections", config.max_connections}, {"max_buffer_bytes", config.max_buffer_bytes},
                      {"read_chunk_bytes", config.read_chunk_bytes}, {"idle_timeout", seconds(config.idle_timeout)},
                      {"drain_timeout", seconds(config.drain_timeout)},
                      {"udp", listeners.udp_address},
                      {"proxy_protocol", proxy_protocol_name(config.proxy_protocol)},
                      {"sockets", listeners.inherited ? "inherited" : "bound"}});
    if (metrics) log::info("metrics on http://", metrics->address(), "/metrics, /healthz (/readyz) and /livez");
    // Type=notify: the listeners exist, so connections queue from now on even before the
    // loops run. systemd starts units ordered after this one only now.
    ServiceNotifier notifier;
    notifier.ready("listening on " + listeners.address);

    std::atomic<unsigned> running{static_cast<unsigned>(loops.size())};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    const pthread_t main_thread = pthread_self();
    for (auto& loop : loops)
        threads.emplace_back([&running, &failed, &loop, main_thread, kLoopEnded] {
            try {
                loop->run();
            } catch (const std::exception& e) {
                log::error("event loop failed: ", e.what());
                failed = true;
            }
            running.fetch_sub(1);
            pthread_kill(main_thread, kLoopEnded);
        });

    auto drain_all = [&] {
        stopping = true;
        draining = true;
        for (auto& loop : loops) loop->request_drain();
        notifier.status("draining " + std::to_string(shared.active.load(std::memory_order_acquire)) + " connections");
    };

    // After the first signal: shutdown_delay of serving as usual while readiness says 503
    // (load balancers stop sending new clients), then the drain. A second signal exits.
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> drain_at;
    bool signalled = false;
    while (running.load() > 0) {
        if (failed && !draining) {  // a half-working server is worse than a restarted one
            log::error("draining the other event loops, then exiting with status 1");
            drain_all();
        }
        if (drain_at && !draining && Clock::now() >= *drain_at) {
            drain_all();
            log::info("shutdown_delay over: no longer accepting; draining for up to ", config.drain_timeout, "s");
        }
        int sig;
        if (drain_at && !draining) {
            const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*drain_at - Clock::now());
            const timespec wait{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
            sig = ::sigtimedwait(&wake_signals, nullptr, &wait);
        } else {
            sig = ::sigwaitinfo(&wake_signals, nullptr);
        }
        if (sig < 0 || sig == kLoopEnded) continue;  // the delay is over, or a loop ended: look again
        if (sig == SIGHUP) {
            notifier.notify("RELOADING=1\nSTATUS=reloading the settings");
            reload(load_again, config, values, shared, loops);
            notifier.ready("listening on " + listeners.address);
            continue;
        }
        if (sig == SIGUSR1) {
            log::Fields fields = summary_fields(stats);
            fields.emplace_back("active", shared.active.load(std::memory_order_acquire));
            log::info_fields("counters:", fields);
            continue;
        }
        if (signalled) {  // not just draining: a failed loop starts a drain the operator did not ask for
            log::warn("second ", signal_name(sig), ": exiting now");
            std::_Exit(128 + sig);
        }
        signalled = true;
        notifier.stopping("received " + signal_name(sig));
        if (config.shutdown_delay > 0 && !draining) {
            stopping = true;  // before the log line: whoever reads it may rely on /healthz saying 503
            drain_at = Clock::now() + std::chrono::microseconds(static_cast<long long>(config.shutdown_delay * 1e6));
            log::info("received ", signal_name(sig), ": /healthz says 503; still accepting for ", config.shutdown_delay,
                      "s (shutdown_delay), then draining for up to ", config.drain_timeout,
                      "s (send again to exit at once)");
            continue;
        }
        drain_all();  // before the log line: whoever reads it may rely on /healthz saying 503
        log::info("received ", signal_name(sig), ": no longer accepting; draining for up to ", config.drain_timeout,
                  "s (send again to exit at once)");
    }
    for (auto& t : threads) t.join();

    log::info_fields("stopped:", summary_fields(stats));
    return failed ? 1 : 0;
}

}  // namespace echomux
