#include "echomux/metrics.hpp"

#include <sstream>

namespace echomux {
namespace {

void metric(std::ostringstream& out, const char* name, const char* type, const char* help, std::uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
}

}  // namespace

std::string render_metrics(const MetricsSource& source) {
    auto sum = [&](Counter Stats::*field) { return total(source.loops, field); };
    const Config& c = source.shared.config;
    const std::string backend = backend_label(c);
    std::ostringstream out;
    out << "# HELP echomux_info The running server: backend, mode and event loop threads.\n"
        << "# TYPE echomux_info gauge\n"
        << "echomux_info{backend=\"" << backend << "\",mode=\"" << mode_name(c.mode) << "\",threads=\"" << c.threads
        << "\"} 1\n";
    metric(out, "echomux_connections_active", "gauge", "Open client connections.",
           source.shared.active.load(std::memory_order_relaxed));
    metric(out, "echomux_connections_accepted_total", "counter", "Connections taken into service.",
           sum(&Stats::accepted));
    metric(out, "echomux_connections_rejected_total", "counter",
           "Connections closed at once because max_connections were open.", sum(&Stats::rejected));
    metric(out, "echomux_connections_closed_total", "counter", "Connections that ended, for any reason.",
           sum(&Stats::closed));
    metric(out, "echomux_connections_idle_closed_total", "counter", "Connections closed by idle_timeout.",
           sum(&Stats::idle_closed));
    metric(out, "echomux_connections_drain_closed_total", "counter",
           "Connections still open when drain_timeout ran out.", sum(&Stats::drain_closed));
    metric(out, "echomux_connections_reset_total", "counter", "Connections ended by a reset or another socket error.",
           sum(&Stats::resets));
    metric(out, "echomux_received_bytes_total", "counter", "Bytes read from clients.", sum(&Stats::bytes_received));
    metric(out, "echomux_sent_bytes_total", "counter", "Bytes written back to clients.", sum(&Stats::bytes_sent));
    metric(out, "echomux_backpressure_pauses_total", "counter",
           "Times reading from a client paused because max_buffer_bytes were waiting.",
           sum(&Stats::backpressure_pauses));
    metric(out, "echomux_accept_fd_exhaustion_total", "counter",
           "Times accept failed for lack of descriptors or memory (accepting paused).", sum(&Stats::fd_exhaustion));
    metric(out, "echomux_draining", "gauge", "1 after SIGTERM/SIGINT while open connections finish.",
           source.draining.load() ? 1 : 0);
    return out.str();
}

}  // namespace echomux
