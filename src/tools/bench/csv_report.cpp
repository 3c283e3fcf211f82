// SPDX-License-Identifier: BSL-1.0
#include "csv_report.hpp"

#include "figures.hpp"
#include "regime.hpp"

#include <sstream>

namespace echomux::bench {
namespace {

// Quoted when it holds a separator, a quote or a line break; quotes doubled.
std::string field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string joined(const std::vector<std::string>& list) {
    std::string text;
    for (const auto& s : list) text += (text.empty() ? "" : "; ") + s;
    return text;
}

template <class T>
std::string number(T v) {
    std::ostringstream out;
    out.precision(10);
    out << v;
    return out.str();
}

std::string positive(double v) { return v > 0 ? number(v) : ""; }

}  // namespace

std::string csv_header() {
    std::string line =
        "server,cell,repeat,workload,size,connections,idle,rate,threads,connect_rate,asked_seconds,seconds,"
        "requests,bytes,errors,drain_missing_bytes,connects,valid,regime,invalid,notes";
    for (const auto& f : figures()) line += std::string(",") + f.key;
    return line + "\n";
}

std::string csv_line(const CsvRunName& name, const Workload& w, const Result& r) {
    std::string line = field(name.server) + "," + field(name.cell) + "," + number(name.repeat) + "," +
                       kind_name(w.kind) + "," + number(w.size) + "," + number(w.connections) + "," +
                       number(w.idle) + "," + positive(w.rate) + "," + number(r.threads) + "," +
                       positive(w.connect_rate) + "," + number(r.asked_seconds) + "," + number(r.seconds) + "," +
                       number(r.requests) + "," + number(r.bytes) + "," + number(r.errors) + "," +
                       number(r.drain_missing_bytes) + "," + number(r.connects) + "," +
                       (r.valid() ? "true" : "false") + "," + (r.valid() ? regime_name(regime_of(r)) : "") + "," +
                       field(joined(r.invalid)) + "," + field(joined(r.notes));
    for (const auto& f : figures()) {
        const auto v = f(r);
        line += "," + (v ? number(*v) : std::string());
    }
    return line + "\n";
}

}  // namespace echomux::bench
