#include "echomux/server.hpp"

#include "echomux/event_loop_factory.hpp"
#include "echomux/listener.hpp"
#include "echomux/log.hpp"
#include "echomux/metrics_server.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace echomux {
namespace {

// Every connection is a descriptor; the default soft limit (often 1024) would make
// max_connections a lie. Take what the hard limit allows, as servers usually do.
void raise_fd_limit(const Config& config) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t needed = config.max_connections + 16 * config.threads + 16;
    if (limit.rlim_cur < needed)
        log::warn("open file limit is ", limit.rlim_cur, ", below max_connections (", config.max_connections,
                  "); accepting pauses when descriptors run out");
}

}  // namespace

int run_server(const Config& config) {
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
    pthread_sigmask(SIG_BLOCK, &wake_signals, nullptr);
    // As PID 1 in a container, a signal whose action is the default may be dropped before
    // it is queued; a handler (never run: the signals stay blocked) rules that out.
    struct sigaction noop {};
    noop.sa_handler = [](int) {};
    ::sigaction(SIGTERM, &noop, nullptr);
    ::sigaction(SIGINT, &noop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // belt and braces: sends already use MSG_NOSIGNAL

    raise_fd_limit(config);
    Listeners listeners;
    SharedState shared(config);
    std::vector<std::unique_ptr<EventLoop>> loops;
    std::atomic<bool> draining{false};  // /healthz answers 503 once set
    std::unique_ptr<MetricsServer> metrics;
    std::vector<const Stats*> stats;
    try {
        listeners = open_listeners(config);
        for (auto& socket : listeners.sockets) {
            loops.push_back(make_event_loop(shared, std::move(socket)));
            stats.push_back(&loops.back()->stats());
        }
        if (config.metrics_port != 0)
            metrics = std::make_unique<MetricsServer>(MetricsSource{shared, stats, draining});
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }

    log::info("listening on ", listeners.address, " backend=", backend_label(config), " threads=", config.threads,
              " mode=", mode_name(config.mode), " max_connections=", config.max_connections,
              " max_buffer_bytes=", config.max_buffer_bytes, " read_chunk_bytes=", config.read_chunk_bytes,
              " idle_timeout=", config.idle_timeout, "s drain_timeout=", config.drain_timeout, "s");
    if (metrics) log::info("metrics on http://", metrics->address(), "/metrics and /healthz");

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
        draining = true;
        for (auto& loop : loops) loop->request_drain();
    };

    while (running.load() > 0) {
        if (failed && !draining) {  // a half-working server is worse than a restarted one
            log::error("draining the other event loops, then exiting with status 1");
            drain_all();
        }
        const int sig = ::sigwaitinfo(&wake_signals, nullptr);
        if (sig < 0 || sig == kLoopEnded) continue;  // check whether the loops are done
        if (draining) {
            log::warn("second ", strsignal(sig), ": exiting now");
            std::_Exit(128 + sig);
        }
        drain_all();  // before the log line: whoever reads it may rely on /healthz saying 503
        log::info("received ", strsignal(sig), ": no longer accepting; draining for up to ", config.drain_timeout,
                  "s (send again to exit at once)");
    }
    for (auto& t : threads) t.join();

    log::info("stopped: ", summarize(stats));
    return failed ? 1 : 0;
}

}  // namespace echomux
