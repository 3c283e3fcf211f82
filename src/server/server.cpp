// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/server.hpp"

#include "echomux/backends/event_loop_factory.hpp"
#include "echomux/server/descriptor_budget.hpp"
#include "echomux/server/listener.hpp"
#include "echomux/server/metrics_server.hpp"
#include "echomux/server/process_signals.hpp"
#include "echomux/server/reload_stats.hpp"
#include "echomux/server/service_notify.hpp"
#include "echomux/server/supervisor.hpp"
#include "echomux/util/log.hpp"
#include "echomux/util/version.hpp"

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace echomux {
namespace {

// SIGHUP: the settings are read again exactly as at start (same command line, conf file
// and environment) and checked whole before anything changes. A bad file is one logged
// line and the running settings stay; the reason is returned. A good one is applied to what
// can change while serving (each change logged by key); a changed key that needs a restart
// is named.
std::optional<std::string> reload(const std::function<LoadedConfig()>& load, Config& running,
                                  std::map<std::string, std::string>& running_values, SharedState& shared,
                                  Supervisor& supervisor, ReloadStats& reloads) {
    LoadedConfig next;
    Config fitted;
    try {
        next = load();
        fitted = DescriptorBudget(with_reloadable(running, next.config), raise_open_file_limit()).fitted();
    } catch (const std::exception& e) {
        reloads.record(false);  // counted before it is logged: whoever reads the log sees the count
        log::error("reload: ", e.what(), "; the running settings stay");
        return std::string(e.what());
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
    supervisor.reconfigure(running);
    reloads.record(true);
    log::info("reload: done: ", applied, " setting(s) applied, ", restart, " need a restart");
    return std::nullopt;
}

// One loop per listening socket (one per thread), each with its UDP twin when udp = on.
std::vector<Supervisor::LoopPlan> loop_plans(Listeners& listeners, SharedState& shared) {
    std::vector<Supervisor::LoopPlan> plans;
    for (std::size_t i = 0; i < listeners.sockets.size(); ++i) {
        Fd udp = i < listeners.udp_sockets.size() ? std::move(listeners.udp_sockets[i]) : Fd();
        plans.push_back({&shared, std::move(listeners.sockets[i]), std::move(udp)});
    }
    return plans;
}

void log_start(const Config& config, const Listeners& listeners, const MetricsServer* metrics) {
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
}

}  // namespace

int run_server(const LoadedConfig& loaded, const std::function<LoadedConfig()>& load_again) {
    ProcessSignals signals;  // first: every thread started later inherits the blocked signals
    const std::optional<std::uint64_t> open_files = raise_open_file_limit();
    Config config;  // as requested, with max_connections what the open file limit allows (and reloaded)
    std::map<std::string, std::string> values = loaded.values;  // as written, for naming what a reload changes
    try {
        config = DescriptorBudget(resolve_backend(loaded.config), open_files).fitted();
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    SharedState shared(config);
    shared.descriptor_budget = DescriptorBudget(config, open_files).echo_connections();
    ServiceNotifier notifier;
    ReloadStats reloads;  // before the metrics server, which reads it
    Listeners listeners;
    std::unique_ptr<Supervisor> supervisor;
    std::unique_ptr<MetricsServer> metrics;  // after the supervisor: it reads the loops' counters
    try {
        listeners = open_listeners(config);
        shared.one_listener = listeners.inherited && listeners.sockets.size() > 1;
        supervisor = std::make_unique<Supervisor>(config, loop_plans(listeners, shared), make_event_loop, signals,
                                                  notifier);
        if (config.metrics_port != 0)
            metrics = std::make_unique<MetricsServer>(
                MetricsSource{shared, supervisor->stats(), supervisor->draining(), supervisor->stopping(), &reloads});
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    log_start(config, listeners, metrics.get());
    // Type=notify: the listeners exist, so connections queue from now on even before the
    // loops run. systemd starts units ordered after this one only now.
    notifier.ready("listening on " + listeners.address);

    const int status = supervisor->run({
        [&] {  // SIGHUP
            notifier.notify("RELOADING=1\nSTATUS=reloading the settings");
            const std::optional<std::string> failure =
                reload(load_again, config, values, shared, *supervisor, reloads);
            // READY=1 either way: the old settings serve on, and systemd leaves "reloading".
            notifier.ready(failure ? "reload failed: " + *failure + "; the running settings stay"
                                   : "listening on " + listeners.address);
        },
        [&] {  // SIGUSR1
            log::Fields fields = summary_fields(supervisor->stats());
            fields.emplace_back("active", shared.active.load(std::memory_order_acquire));
            log::info_fields("counters:", fields);
        },
    });
    log::info_fields("stopped:", summary_fields(supervisor->stats()));
    return status;
}

}  // namespace echomux
