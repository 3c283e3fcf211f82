// SPDX-License-Identifier: BSL-1.0
#include "report.hpp"

#include <cstdio>
#include <sstream>

namespace echomux::bench {

std::string format_ns(std::uint64_t ns) {
    char text[32];
    if (ns < 10000) std::snprintf(text, sizeof text, "%.2f us", ns / 1e3);
    else if (ns < 10000000) std::snprintf(text, sizeof text, "%.1f us", ns / 1e3);
    else std::snprintf(text, sizeof text, "%.1f ms", ns / 1e6);
    return text;
}

std::string describe(const Workload& w) {
    std::ostringstream out;
    out << kind_name(w.kind) << " " << w.size << " B x " << w.connections
        << (w.kind == Workload::Kind::udp ? " sockets" : " connections");
    if (w.kind == Workload::Kind::stream) out << " (window " << w.window << " B)";
    if (w.idle > 0) out << " + " << w.idle << " idle";
    return out.str();
}

std::string human_report(const Workload& w, const Result& r) {
    std::ostringstream out;
    char line[256];
    out << "workload     " << describe(w) << ", " << w.duration << " s measured after " << w.warmup
        << " s warm-up\n";
    std::snprintf(line, sizeof line, "requests     %llu (%.0f req/s)\n", static_cast<unsigned long long>(r.requests),
                  r.requests_per_second());
    out << line;
    std::snprintf(line, sizeof line, "throughput   %.1f MB/s echoed\n", r.megabytes_per_second());
    out << line;
    out << "latency      p50 " << format_ns(r.latency.percentile(0.5)) << "  p90 "
        << format_ns(r.latency.percentile(0.9)) << "  p99 " << format_ns(r.latency.percentile(0.99)) << "  p99.9 "
        << format_ns(r.latency.percentile(0.999)) << "  max " << format_ns(r.latency.max()) << "\n";
    if (w.kind == Workload::Kind::udp) {
        std::snprintf(line, sizeof line, "loss         %llu of %llu datagrams (%.3f%%), %llu answered",
                      static_cast<unsigned long long>(r.datagrams_lost),
                      static_cast<unsigned long long>(r.datagrams_sent), r.loss_percent(),
                      static_cast<unsigned long long>(r.datagrams_answered));
        out << line;
        if (r.datagrams_late > 0) out << "; " << r.datagrams_late << " replies came after the " << w.timeout << " s timeout";
        out << "\n";
    }
    out << "errors       " << r.errors << "\n";
    for (const auto& m : r.error_messages) out << "  error: " << m << "\n";
    std::snprintf(line, sizeof line, "client CPU   %.2f s (%.0f%% of one core)\n", r.client_cpu_seconds,
                  r.seconds > 0 ? 100 * r.client_cpu_seconds / r.seconds : 0);
    out << line;
    if (r.server_cpu_seconds >= 0) {
        std::snprintf(line, sizeof line, "server CPU   %.2f s (%.0f%% of one core), %.2f us per request\n",
                      r.server_cpu_seconds, r.seconds > 0 ? 100 * r.server_cpu_seconds / r.seconds : 0,
                      r.server_us_per_request());
        out << line;
        std::snprintf(line, sizeof line, "server RSS   %.1f MiB\n", r.server_rss_kib / 1024.0);
        out << line;
    }
    return out.str();
}

std::string json_report(const Workload& w, const Result& r) {
    std::ostringstream out;
    out.precision(10);
    out << "{\"workload\":\"" << kind_name(w.kind) << "\",\"size\":" << w.size << ",\"connections\":" << w.connections
        << ",\"window\":" << w.window << ",\"idle\":" << w.idle << ",\"seconds\":" << r.seconds
        << ",\"requests\":" << r.requests << ",\"bytes\":" << r.bytes << ",\"errors\":" << r.errors
        << ",\"requests_per_second\":" << r.requests_per_second()
        << ",\"megabytes_per_second\":" << r.megabytes_per_second() << ",\"latency_ns\":{\"p50\":"
        << r.latency.percentile(0.5) << ",\"p90\":" << r.latency.percentile(0.9)
        << ",\"p99\":" << r.latency.percentile(0.99) << ",\"p99_9\":" << r.latency.percentile(0.999)
        << ",\"max\":" << r.latency.max() << "},\"client_cpu_seconds\":" << r.client_cpu_seconds
        << ",\"server_cpu_seconds\":" << r.server_cpu_seconds
        << ",\"server_us_per_request\":" << r.server_us_per_request() << ",\"server_rss_kib\":" << r.server_rss_kib
        << ",\"error_messages\":[";
    for (std::size_t i = 0; i < r.error_messages.size(); ++i) {
        out << (i ? "," : "") << "\"";
        for (char c : r.error_messages[i]) out << (c == '"' || c == '\\' ? "\\" : "") << c;
        out << "\"";
    }
    out << "]";
    if (w.kind == Workload::Kind::udp)
        out << ",\"timeout\":" << w.timeout << ",\"datagrams_sent\":" << r.datagrams_sent
            << ",\"datagrams_answered\":" << r.datagrams_answered << ",\"datagrams_lost\":" << r.datagrams_lost
            << ",\"datagrams_late\":" << r.datagrams_late << ",\"loss_percent\":" << r.loss_percent();
    out << "}";
    return out.str();
}

}  // namespace echomux::bench
