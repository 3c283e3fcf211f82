// SPDX-License-Identifier: BSL-1.0
#include "json_report.hpp"

#include "figures.hpp"
#include "machine.hpp"
#include "regime.hpp"
#include "report.hpp"

#include "echomux/util/version.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/src.hpp>  // header-only Boost.JSON, compiled in this one file

namespace echomux::bench {
namespace json = boost::json;
namespace {

json::value maybe(std::optional<double> v) { return v ? json::value(*v) : json::value(nullptr); }

json::array strings(const std::vector<std::string>& list) {
    json::array a;
    for (const auto& s : list) a.emplace_back(s);
    return a;
}

// Percentiles in nanoseconds, as HdrHistogram gives them (3 significant digits); null when
// nothing was recorded.
json::value latency_json(const Histogram& h, const std::vector<double>& asked = {}) {
    if (h.count() == 0) return nullptr;
    json::object asked_values;
    for (double p : asked) asked_values[percentile_name(p)] = h.percentile(p / 100);
    return json::object{{"count", h.count()},
                        {"p50", h.percentile(0.5)},
                        {"p90", h.percentile(0.9)},
                        {"p95", h.percentile(0.95)},
                        {"p99", h.percentile(0.99)},
                        {"p99_9", h.percentile(0.999)},
                        {"max", h.max()},
                        {"percentiles", std::move(asked_values)}};
}

json::value interval_json(const Interval& i) {
    return json::object{{"start", i.start},
                        {"seconds", i.seconds},
                        {"requests", i.requests},
                        {"bytes", i.bytes},
                        {"errors", i.errors},
                        {"requests_per_second", i.seconds > 0 ? json::value(i.requests / i.seconds) : nullptr},
                        {"p99_ns", i.p99_ns > 0 ? json::value(i.p99_ns) : nullptr}};
}

}  // namespace

json::object provenance(const std::string& kind, const std::vector<std::string>& arguments) {
    const Machine m = this_machine();
    auto text_or_null = [](const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); };
    return json::object{
        {"kind", kind},
        {"tool", json::object{{"name", "echomux-bench"}, {"version", echomux::version()}, {"revision", echomux::revision()}}},
        {"time", utc_timestamp()},
        {"machine", json::object{{"host_name", text_or_null(m.host_name)},
                                 {"kernel", text_or_null(m.kernel)},
                                 {"cpu_model", text_or_null(m.cpu_model)},
                                 {"cpus", m.cpus}}},
        {"arguments", strings(arguments)}};
}

json::object workload_json(const Workload& w) {
    const bool udp = w.kind == Workload::Kind::udp;
    json::array sizes;
    for (auto s : w.sizes) sizes.emplace_back(s);
    json::array cpus;
    for (int c : w.cpus) cpus.emplace_back(c);
    auto positive = [](double v) { return v > 0 ? json::value(v) : json::value(nullptr); };
    return json::object{{"kind", kind_name(w.kind)},
                        {"host", w.host},
                        {"port", w.port},
                        {"connections", w.connections},
                        {"size", w.size},
                        {"sizes", std::move(sizes)},
                        {"window", w.kind == Workload::Kind::stream ? json::value(w.window) : nullptr},
                        {"idle", w.idle},
                        {"warmup", w.warmup},
                        {"duration", w.duration},
                        {"mode", mode_name(w.mode)},
                        {"prefix", w.mode == Mode::prefix ? json::value(w.prefix) : nullptr},
                        {"greeting_lines", w.greeting_lines ? json::value(*w.greeting_lines) : json::value("auto")},
                        {"rate", positive(w.rate)},
                        {"threads", w.threads},
                        {"connect_rate", positive(w.connect_rate)},
                        {"interval", positive(w.interval)},
                        {"drain_timeout", w.drain_timeout},
                        {"stall_timeout", w.stall_timeout},
                        {"cpus", std::move(cpus)},
                        {"timeout", udp ? json::value(w.timeout) : nullptr},
                        {"server_pid", w.server_pid > 0 ? json::value(w.server_pid) : nullptr},
                        {"metrics_url", w.metrics_url.empty() ? json::value(nullptr) : json::value(w.metrics_url)},
                        {"tls", w.tls.enabled},
                        {"handshake", w.handshake}};
}

json::object result_json(const Workload& w, const Result& r) {
    json::object o{{"valid", r.valid()},
                   {"invalid", strings(r.invalid)},
                   {"notes", strings(r.notes)},
                   {"greeting", strings(r.greeting)},
                   {"tls", r.tls.empty() ? json::value(nullptr) : json::value(r.tls)},
                   {"regime", r.valid() ? json::value(regime_name(regime_of(r))) : nullptr},
                   {"asked_seconds", r.asked_seconds},
                   {"seconds", r.seconds},
                   {"requests", r.requests},
                   {"bytes", r.bytes},
                   {"errors", r.errors},
                   {"error_messages", strings(r.error_messages)},
                   {"drain_missing_bytes", r.drain_missing_bytes},
                   {"threads", r.threads},
                   {"client_cpu_seconds", r.client_cpu_seconds},
                   {"server_cpu_seconds", r.server_cpu_seconds >= 0 ? json::value(r.server_cpu_seconds) : nullptr},
                   {"server_rss_kib", r.server_rss_kib >= 0 ? json::value(r.server_rss_kib) : nullptr},
                   {"latency_ns", latency_json(r.latency, w.percentiles)},
                   {"uncorrected_latency_ns", w.rate > 0 ? latency_json(r.uncorrected_latency, w.percentiles) : nullptr},
                   {"connects", r.connects},
                   {"connect_latency_ns", latency_json(r.connect_latency)},
                   {"whole_run", json::object{{"requests", r.total_requests},
                                              {"sent_bytes", r.total_sent_bytes},
                                              {"received_bytes", r.total_received_bytes},
                                              {"connects", r.total_connects}}}};
    // The derived figures, from the one table the CSV and compare use too.
    for (const auto& f : figures()) o[f.key] = maybe(f(r));
    json::array intervals;
    for (const auto& i : r.intervals) intervals.push_back(interval_json(i));
    o["intervals"] = std::move(intervals);
    if (w.kind == Workload::Kind::udp)
        o["udp"] = json::object{{"datagrams_sent", r.datagrams_sent},
                                {"datagrams_answered", r.datagrams_answered},
                                {"datagrams_lost", r.datagrams_lost},
                                {"datagrams_late", r.datagrams_late},
                                {"rate_limited", r.server_rate_limited >= 0 ? json::value(r.server_rate_limited) : nullptr},
                                {"limited_by", r.limited_by.empty() ? json::value(nullptr) : json::value(r.limited_by)}};
    else
        o["udp"] = nullptr;
    return o;
}

std::string run_json(const Workload& w, const Result& r, const std::vector<std::string>& arguments) {
    json::object doc = provenance("run", arguments);
    doc["workload"] = workload_json(w);
    doc["result"] = result_json(w, r);
    return json::serialize(doc);
}

}  // namespace echomux::bench
