// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/server.hpp"

#include "echomux/backends/event_loop_factory.hpp"
#include "echomux/core/tls_context.hpp"
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

// One listener of this server: its settings and counts, shared by its loops, and its sockets.
struct Listener {
    std::unique_ptr<SharedState> shared;
    Listeners sockets;
};

// Every listener's settings, the main one first, with the whole server's keys the main one's.
std::vector<Config> all_listeners(const Config& main, const std::vector<Config>& others) {
    std::vector<Config> all{main};
    for (const Config& other : others) all.push_back(with_process_keys(other, main));
    return all;
}

// The listener names, as a reload compares them: adding or removing one takes a restart.
std::string names(const std::vector<Config>& listeners) {
    std::string out;
    for (const Config& c : listeners) out += (out.empty() ? "" : " ") + c.name;
    return out;
}

// A listener's TLS settings as its files are now, null without tls_cert: loaded here once
// for all its loops. At start a file that does not load fails the start (the config check
// read them already); at a reload it keeps the pair in force, said in one line.
void load_tls(SharedState& listener, const Config& config, bool reloading) {
    if (config.tls_cert.empty()) {
        listener.set_tls(nullptr);
        return;
    }
    try {
        listener.set_tls(std::make_shared<const TlsContext>(config));
    } catch (const std::exception& e) {
        if (!reloading) throw;
        log::error("reload: listener ", config.name, ": ", e.what(), "; new TLS connections keep the previous certificate");
    }
}

// SIGHUP: the settings are read again exactly as at start (same command line, conf file
// and environment) and checked whole before anything changes. A bad file is one logged
// line and the running settings stay; the reason is returned. A good one is applied to what
// can change while serving (each change logged by key, "tls.greeting" for a listener's); a
// changed key that needs a restart is named, and so is a listener added or removed.
std::optional<std::string> reload(const std::function<LoadedConfig()>& load, std::vector<Config>& running,
                                  std::map<std::string, std::string>& running_values, ProcessState& process,
                                  const std::vector<Listener>& listeners, Supervisor& supervisor, ReloadStats& reloads) {
    LoadedConfig next;
    std::vector<Config> fitted;
    try {
        next = load();
        const Config main = DescriptorBudget(with_reloadable(running.front(), next.config), raise_open_file_limit(),
                                             next.listeners)
                                .fitted();
        fitted = all_listeners(main, next.listeners);
    } catch (const std::exception& e) {
        reloads.record(false);  // counted before it is logged: whoever reads the log sees the count
        log::error("reload: ", e.what(), "; the running settings stay");
        return std::string(e.what());
    }
    for (const auto& warning : next.warnings) log::warn("reload: ", warning);
    int applied = 0, restart = 0;
    if (names(fitted) != names(running)) {
        log::warn("reload: the listeners are now ", names(fitted), ": adding or removing one takes a restart; "
                  "still ", names(running));
        ++restart;
    }
    for (const auto& [key, value] : next.values) {
        const auto was = running_values.find(key);
        if (was == running_values.end() || was->second == value) continue;  // a listener added: said above
        if (reloadable(key)) {
            log::info("reload: ", key, " = ", value);
            was->second = value;
            ++applied;
        } else {
            log::warn("reload: ", key, " = ", value, " takes a restart; still ", was->second);
            ++restart;
        }
    }
    for (Config& listener : running)
        for (const Config& candidate : fitted)
            if (candidate.name == listener.name) listener = with_reloadable(listener, candidate);
    for (Config& listener : running) listener = with_process_keys(listener, running.front());
    log::set_level(running.front().log_level);
    log::set_format(running.front().log_format);
    process.max_connections.store(running.front().max_connections);
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        listeners[i].shared->mode.store(running[i].mode);
        load_tls(*listeners[i].shared, running[i], true);  // before the loops take the settings
    }
    supervisor.reconfigure(running);
    reloads.record(true);
    log::info("reload: done: ", applied, " setting(s) applied, ", restart, " need a restart");
    return std::nullopt;
}

// Each listener's loops: one per listening socket (one per thread), each with its UDP twin
// when udp = on.
std::vector<Supervisor::LoopPlan> loop_plans(std::vector<Listener>& listeners) {
    std::vector<Supervisor::LoopPlan> plans;
    for (Listener& listener : listeners) {
        Listeners& sockets = listener.sockets;
        for (std::size_t i = 0; i < sockets.sockets.size(); ++i) {
            Fd udp = i < sockets.udp_sockets.size() ? std::move(sockets.udp_sockets[i]) : Fd();
            plans.push_back({listener.shared.get(), std::move(sockets.sockets[i]), std::move(udp), sockets.inherited});
        }
    }
    return plans;
}

std::vector<Listener> open_all(const std::vector<Config>& configs, ProcessState& process) {
    std::vector<Listener> listeners;
    for (const Config& config : configs) {
        Listener listener{std::make_unique<SharedState>(config, process), open_listeners(config)};
        load_tls(*listener.shared, config, false);
        listener.shared->one_listener = listener.sockets.inherited && listener.sockets.sockets.size() > 1;
        listeners.push_back(std::move(listener));
    }
    return listeners;
}

// "127.0.0.1:7007", or "127.0.0.1:7007 (main), 127.0.0.1:7443 (tls)" with several.
std::string addresses(const std::vector<Listener>& listeners) {
    if (listeners.size() == 1) return listeners.front().sockets.address;
    std::string out;
    for (const Listener& l : listeners)
        out += (out.empty() ? "" : ", ") + l.sockets.address + " (" + l.shared->config.name + ")";
    return out;
}

std::string seconds(double s) {  // "300s", as in the conf file
    std::ostringstream out;
    out << s << "s";
    return out.str();
}

// One line per listener, the main one first (tests and scripts read the first), which also
// says what the whole server runs with.
void log_start(const std::vector<Listener>& listeners, const MetricsServer* metrics) {
    for (const Listener& listener : listeners) {
        const Config& c = listener.shared->config;
        const bool main = &listener == &listeners.front();
        log::Fields fields;
        if (main)
            fields = {{"version", version()}, {"revision", revision()}, {"backend", backend_label(c)}, {"threads", c.threads}};
        fields.emplace_back("mode", mode_name(c.mode));
        if (main) fields.emplace_back("max_connections", c.max_connections);
        fields.emplace_back("max_buffer_bytes", c.max_buffer_bytes);
        if (main) fields.emplace_back("read_chunk_bytes", c.read_chunk_bytes);
        fields.emplace_back("idle_timeout", seconds(c.idle_timeout));
        if (main) fields.emplace_back("drain_timeout", seconds(c.drain_timeout));
        fields.insert(fields.end(), {{"udp", listener.sockets.udp_address},
                                     {"proxy_protocol", proxy_protocol_name(c.proxy_protocol)},
                                     {"sockets", listener.sockets.inherited ? "inherited" : "bound"},
                                     {"listener", c.name},
                                     {"tls", c.tls_cert.empty() ? "off" : "on"}});
        log::info_fields("listening on " + listener.sockets.address, fields);
    }
    if (metrics) log::info("metrics on http://", metrics->address(), "/metrics, /healthz (/readyz) and /livez");
}

}  // namespace

int run_server(const LoadedConfig& loaded, const std::function<LoadedConfig()>& load_again) {
    ProcessSignals signals;  // first: every thread started later inherits the blocked signals
    const std::optional<std::uint64_t> open_files = raise_open_file_limit();
    // As requested, the main one first, with max_connections what the open file limit
    // allows (and as reloaded).
    std::vector<Config> configs;
    std::map<std::string, std::string> values = loaded.values;  // as written, for naming what a reload changes
    try {
        const Config main =
            DescriptorBudget(resolve_backend(loaded.config), open_files, loaded.listeners).fitted();
        configs = all_listeners(main, loaded.listeners);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    ProcessState process(configs.front());
    process.descriptor_budget = DescriptorBudget(configs.front(), open_files, loaded.listeners).echo_connections();
    ServiceNotifier notifier;
    ReloadStats reloads;  // before the metrics server, which reads it
    std::vector<Listener> listeners;
    std::unique_ptr<Supervisor> supervisor;
    std::unique_ptr<MetricsServer> metrics;  // after the supervisor: it reads the loops' counters
    try {
        listeners = open_all(configs, process);
        supervisor = std::make_unique<Supervisor>(configs.front(), loop_plans(listeners), make_event_loop, signals,
                                                  notifier);
        if (configs.front().metrics_port != 0) {
            std::vector<ListenerFigures> figures;
            for (const Listener& l : listeners) figures.push_back({l.shared.get(), supervisor->stats(*l.shared)});
            metrics = std::make_unique<MetricsServer>(MetricsSource{*listeners.front().shared, std::move(figures),
                                                                    supervisor->draining(), supervisor->stopping(),
                                                                    &reloads, &supervisor->loops()});
        }
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    log_start(listeners, metrics.get());
    supervisor->set_watchdog(Watchdog::from_environment());
    // Type=notify: the listeners exist, so connections queue from now on even before the
    // loops run. systemd starts units ordered after this one only now.
    notifier.ready("listening on " + addresses(listeners));

    const int status = supervisor->run({
        [&] {  // SIGHUP
            notifier.notify("RELOADING=1\nSTATUS=reloading the settings");
            const std::optional<std::string> failure =
                reload(load_again, configs, values, process, listeners, *supervisor, reloads);
            // READY=1 either way: the old settings serve on, and systemd leaves "reloading".
            notifier.ready(failure ? "reload failed: " + *failure + "; the running settings stay"
                                   : "listening on " + addresses(listeners));
        },
        [&] {  // SIGUSR1
            log::Fields fields = summary_fields(supervisor->stats());
            fields.emplace_back("active", process.active.load(std::memory_order_acquire));
            log::info_fields("counters:", fields);
        },
    });
    log::info_fields("stopped:", summary_fields(supervisor->stats()));
    return status;
}

}  // namespace echomux
