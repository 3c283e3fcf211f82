// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/metrics.hpp"

#include "echomux/core/tls_context.hpp"
#include "echomux/server/config.hpp"
#include "echomux/server/process_figures.hpp"
#include "echomux/util/version.hpp"

#include <cstring>
#include <sstream>

namespace echomux {
namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

template <class Value>
void metric(std::ostringstream& out, const char* name, const char* type, const char* help, Value value) {
    family(out, name, type, help);
    out << name << " " << value << "\n";
}

// `{listener="main",more}`: the labels of one listener's series.
std::string labels(const ListenerFigures& listener, const std::string& more = "") {
    return "{listener=\"" + listener.shared->config.name + "\"" + (more.empty() ? "" : "," + more) + "}";
}

// A histogram per listener, summed over its loops, its bounds and sum shown divided by
// `scale` (a value kept in milliseconds is shown in seconds, as Prometheus names want).
void histogram(std::ostringstream& out, const char* name, const char* help,
               const std::vector<ListenerFigures>& listeners, Histogram Stats::*member, double scale) {
    family(out, name, "histogram", help);
    for (const ListenerFigures& listener : listeners) {
        if (listener.loops.empty()) continue;
        const Histogram& shape = listener.loops.front()->*member;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= shape.bounds(); ++i) {
            for (const Stats* loop : listener.loops) cumulative += (loop->*member).in_bucket(i);
            std::ostringstream bound;
            bound.precision(15);
            if (i < shape.bounds()) bound << shape.bound(i) / scale;
            else bound << "+Inf";
            out << name << "_bucket" << labels(listener, "le=\"" + bound.str() + "\"") << " " << cumulative << "\n";
        }
        std::uint64_t count = 0, sum = 0;
        for (const Stats* loop : listener.loops) {
            count += (loop->*member).count();
            sum += (loop->*member).sum();
        }
        out << name << "_sum" << labels(listener) << " " << sum / scale << "\n"
            << name << "_count" << labels(listener) << " " << count << "\n";
    }
}

}  // namespace

std::string render_metrics(const MetricsSource& source, const EndpointStats& endpoint) {
    const Config& c = source.shared.config;
    std::ostringstream out;
    out.precision(15);  // seconds since 1970 to the microsecond, not 1.76409e+09
    out << "# HELP echomux_info The running server: backend, the main listener's mode and event loop threads per listener.\n"
        << "# TYPE echomux_info gauge\n"
        << "echomux_info{backend=\"" << backend_label(c) << "\",mode=\"" << mode_name(source.shared.mode.load()) << "\",threads=\""
        << c.threads << "\"} 1\n";
    family(out, "echomux_listener_info", "gauge", "Each listener: its name and mode.");
    for (const ListenerFigures& listener : source.listeners)
        out << "echomux_listener_info" << labels(listener, "mode=\"" + std::string(mode_name(listener.shared->mode.load())) + "\"")
            << " 1\n";
    // Acquire, and before the counters: a loop counts a closed connection, then releases
    // the active slot, so a page that shows the slot freed also shows it counted closed.
    family(out, "echomux_connections_active", "gauge", "Open client connections.");
    for (const ListenerFigures& listener : source.listeners)
        out << "echomux_connections_active" << labels(listener) << " "
            << listener.shared->active.load(std::memory_order_acquire) << "\n";
    const char* previous = "";
    for (const CounterInfo& counter : kCounters) {
        if (std::strcmp(counter.metric, previous) != 0) family(out, counter.metric, "counter", counter.help);
        previous = counter.metric;
        for (const ListenerFigures& listener : source.listeners)
            out << counter.metric << labels(listener, counter.labels) << " " << total(listener.loops, counter.member)
                << "\n";
    }
    metric(out, "echomux_ready", "gauge", "1 until SIGTERM/SIGINT; /healthz and /readyz say 503 once it is 0.",
           source.stopping.load() ? 0 : 1);
    metric(out, "echomux_draining", "gauge", "1 once accepting has stopped, while open connections finish.",
           source.draining.load() ? 1 : 0);
    if (source.reloads) {
        const ReloadStats& reloads = *source.reloads;
        family(out, "echomux_config_reloads_total", "counter",
               "Reloads (SIGHUP) by result; a failed one left the running settings as they were.");
        out << "echomux_config_reloads_total{result=\"success\"} " << reloads.succeeded.load() << "\n"
            << "echomux_config_reloads_total{result=\"failure\"} " << reloads.failed.load() << "\n";
        metric(out, "echomux_config_last_reload_successful", "gauge", "0 when the last reload was refused, else 1.",
               reloads.last_failed.load() ? 0 : 1);
        metric(out, "echomux_config_last_reload_success_timestamp_seconds", "gauge",
               "When the settings in use were read: the start, or the last good reload.",
               reloads.last_success_seconds.load());
    }
    metric(out, "echomux_metrics_connections_evicted_total", "counter",
           "Metrics endpoint connections closed at metrics_max_connections to serve a newer one.", endpoint.evicted);
    metric(out, "echomux_metrics_requests_refused_total", "counter",
           "Metrics endpoint requests answered 400, 413 or 431 (malformed or too large).", endpoint.refused);
    histogram(out, "echomux_connection_duration_seconds", "How long connections were open, counted as they end.",
              source.listeners, &Stats::connection_us, 1e6);
    if (source.loops) {
        family(out, "echomux_loop_busy_seconds_total", "counter",
               "Time each event loop spent out of its wait, handling events (asio: its thread's CPU time); "
               "its rate is the loop's utilisation, 1 when saturated.");
        for (const WatchedLoop& loop : source.loops->loops())
            out << "echomux_loop_busy_seconds_total{listener=\"" << loop.listener << "\",loop=\"" << loop.index
                << "\"} " << static_cast<double>(loop.heartbeat->busy_us()) / 1e6 << "\n";
    }
    histogram(out, "echomux_connection_received_bytes", "Bytes each connection sent to echomux, counted as it ends.",
              source.listeners, &Stats::connection_bytes, 1);
    histogram(out, "echomux_tls_handshake_duration_seconds",
              "Finished TLS handshakes: from accept to done, the client's round trips included.", source.listeners,
              &Stats::tls_handshake_us, 1e6);
    family(out, "echomux_tls_certificate_not_after_seconds", "gauge",
           "When the certificate new TLS handshakes use expires (unix time): alert before it does.");
    for (const ListenerFigures& listener : source.listeners)
        if (const auto tls = listener.shared->tls())
            out << "echomux_tls_certificate_not_after_seconds" << labels(listener) << " " << tls->not_after() << "\n";
    out << "# HELP echomux_build_info The echomux build: version and source revision.\n"
        << "# TYPE echomux_build_info gauge\n"
        << "echomux_build_info{version=\"" << version() << "\",revision=\"" << revision() << "\"} 1\n";
    metric(out, "echomux_connections_max", "gauge",
           "max_connections in effect (lowered at start when the open file limit cannot hold it).",
           source.shared.process.max_connections.load());

    const ProcessFigures process = read_process_figures();
    metric(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
           process.cpu_seconds);
    metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.resident_bytes);
    metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", process.virtual_bytes);
    metric(out, "process_open_fds", "gauge", "Number of open file descriptors.", process.open_fds);
    metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", process.max_fds);
    metric(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
           process.start_time_seconds);
    return out.str();
}

}  // namespace echomux
