// SPDX-License-Identifier: BSL-1.0
#include "report.hpp"

#include "regime.hpp"

#include <cstdarg>
#include <cstdio>
#include <sstream>

namespace echomux::bench {

std::string format(const char* pattern, ...) {
    char text[512];
    va_list args;
    va_start(args, pattern);
    std::vsnprintf(text, sizeof text, pattern, args);
    va_end(args);
    return text;
}

std::string format_ns(std::uint64_t ns) {
    // The histogram keeps 3 significant digits: more would print a bucket bound's noise.
    char text[32];
    if (ns < 1000) std::snprintf(text, sizeof text, "%llu ns", static_cast<unsigned long long>(ns));
    else if (ns < 1000000) std::snprintf(text, sizeof text, "%.3g us", ns / 1e3);
    else if (ns < 1000000000) std::snprintf(text, sizeof text, "%.3g ms", ns / 1e6);
    else std::snprintf(text, sizeof text, "%.3g s", ns / 1e9);
    return text;
}

std::string percentile_name(double percentile) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", percentile);
    return text;
}

namespace {
std::string latency_line(const char* label, const Histogram& h, const std::vector<double>& percentiles) {
    std::string line = label;
    for (double p : percentiles) line += "p" + percentile_name(p) + " " + format_ns(h.percentile(p / 100)) + "  ";
    return line + "max " + format_ns(h.max()) + "\n";
}
}  // namespace

std::string describe(const Workload& w) {
    std::ostringstream out;
    out << kind_name(w.kind) << " ";
    if (w.sizes.empty()) out << w.size;
    for (std::size_t i = 0; i < w.sizes.size(); ++i) out << (i ? "/" : "") << w.sizes[i];
    out << " B x " << w.connections << (w.kind == Workload::Kind::udp ? " sockets" : " connections");
    if (w.kind == Workload::Kind::stream) out << " (window " << w.window << " B)";
    if (w.idle > 0) out << " + " << w.idle << " idle";
    if (w.rate > 0) out << " at " << w.rate << " req/s (open loop)";
    if (w.connect_rate > 0) out << ", " << w.connect_rate << " new connections/s";
    if (w.threads > 1) out << ", " << w.threads << " load threads";
    return out.str();
}

std::string human_report(const Workload& w, const Result& r) {
    std::ostringstream out;
    char line[256];
    out << "workload     " << describe(w) << ", " << w.duration << " s measured after " << w.warmup
        << " s warm-up\n";
    // First, so nobody reads the figures below as a measurement.
    for (const auto& why : r.invalid) out << "INVALID      " << why << "\n";
    for (const auto& note : r.notes) out << "note         " << note << "\n";
    std::snprintf(line, sizeof line, "requests     %llu (%.0f req/s)\n", static_cast<unsigned long long>(r.requests),
                  r.requests_per_second());
    out << line;
    std::snprintf(line, sizeof line, "throughput   %.1f MB/s echoed\n", r.megabytes_per_second());
    out << line;
    if (r.latency.count() == 0)
        out << "latency      none: no request completed\n";
    else
        out << latency_line(w.rate > 0 ? "latency      corrected    " : "latency      ", r.latency, w.percentiles);
    if (w.rate > 0 && r.uncorrected_latency.count() > 0)
        out << latency_line("             uncorrected  ", r.uncorrected_latency, w.percentiles);
    if (r.connects > 0 || r.connect_latency.count() > 0)
        out << "connects     " << r.connects << " (" << static_cast<long long>(r.seconds > 0 ? r.connects / r.seconds : 0)
            << "/s), connect p50 " << format_ns(r.connect_latency.percentile(0.5)) << "  p99 "
            << format_ns(r.connect_latency.percentile(0.99)) << "\n";
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
    if (r.drain_missing_bytes > 0)
        out << "drain        " << r.drain_missing_bytes << " bytes sent never came back within " << w.drain_timeout
            << " s\n";
    std::snprintf(line, sizeof line, "client CPU   %.2f s (%.0f%% of one core)\n", r.client_cpu_seconds,
                  r.seconds > 0 ? 100 * r.client_cpu_seconds / r.seconds : 0);
    out << line;
    if (r.server_cpu_seconds >= 0) {
        std::snprintf(line, sizeof line, "server CPU   %.2f s (%.0f%% of one core), %.2f us per request\n",
                      r.server_cpu_seconds, r.seconds > 0 ? 100 * r.server_cpu_seconds / r.seconds : 0,
                      r.server_us_per_request());
        out << line;
    } else {
        out << "server CPU   not measured\n";
    }
    if (r.server_rss_kib >= 0) {
        std::snprintf(line, sizeof line, "server RSS   %.1f MiB\n", r.server_rss_kib / 1024.0);
        out << line;
    }
    if (r.valid() && regime_of(r) != Regime::unknown) out << "regime       " << regime_name(regime_of(r)) << "\n";
    return out.str();
}

}  // namespace echomux::bench
