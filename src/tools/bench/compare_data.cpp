// SPDX-License-Identifier: BSL-1.0
// compare's data: each server's repeats of a cell and their figures, and the files that hold
// every run (results.json, runs.csv, hgrm/). Written again after every cell, each through a
// temporary file, so an interrupted compare leaves whole files of what it measured.
#include "compare_report.hpp"

#include "csv_report.hpp"
#include "hgrm.hpp"
#include "json_report.hpp"
#include "regime.hpp"
#include "report.hpp"

#include <boost/json/serialize.hpp>

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace echomux::bench {
namespace json = boost::json;
namespace {

std::string file_safe(std::string name) {
    for (char& c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
    return name;
}

}  // namespace

int CellRuns::valid_runs() const {
    int n = 0;
    for (const auto& r : runs) n += r.valid();
    return n;
}

std::string CellRuns::error() const {
    if (!not_run.empty()) return "not run: " + not_run;
    if (valid_runs() > 0) return "";
    std::string reasons;
    std::map<std::string, bool> seen;
    for (const auto& r : runs)
        for (const auto& why : r.invalid)
            if (!seen[why]) {
                seen[why] = true;
                reasons += (reasons.empty() ? "" : "; ") + why;
            }
    return format("no valid run of %zu", runs.size()) + (reasons.empty() ? "" : ": " + reasons);
}

Histogram CellRuns::merged_latency() const {
    Histogram h;
    for (const auto& r : runs)
        if (r.valid()) h.merge(r.latency);
    return h;
}

const CellRuns* Comparison::find(const std::string& server, const std::string& cell) const {
    auto s = results.find(server);
    if (s == results.end()) return nullptr;
    auto c = s->second.find(cell);
    return c == s->second.end() ? nullptr : &c->second;
}

std::optional<Spread> Comparison::spread(const std::string& server, const std::string& cell, const char* key) const {
    const CellRuns* runs = find(server, cell);
    if (!runs) return std::nullopt;
    return (*runs)[key];
}

// The regime of a cell, from its median utilisations (the label its figures get).
std::string CellRuns::regime() const {
    const auto server = (*this)["server_cpu_percent"], client = (*this)["client_cpu_percent"];
    if (!server || !client) return "–";
    const auto median = [](const std::optional<Spread>& s) { return std::optional<double>(s->median); };
    int threads = 1;  // as the runs report them (the load engine may run fewer than asked)
    for (const auto& r : runs)
        if (r.valid()) threads = std::max(threads, r.threads);
    return regime_name(regime_of(median(server), median(client), threads));
}

void replace_file(const std::string& path, const std::string& text) {
    const std::string part = path + ".part";
    {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) return;  // the old file stays: better than half a new one
    }
    std::rename(part.c_str(), path.c_str());
}

void write_results_json(const Comparison& c) {
    const CompareOptions& o = c.options;
    json::object doc = provenance("compare", o.arguments);
    doc["options"] = json::object{{"repeats", o.repeats},   {"duration", o.duration},     {"warmup", o.warmup},
                                  {"server_cpu", o.server_cpu < 0 ? json::value(nullptr) : json::value(o.server_cpu)},
                                  {"client_cpu", o.client_cpu < 0 ? json::value(nullptr) : json::value(o.client_cpu)},
                                  {"quick", o.quick},
                                  {"full", o.full},
                                  {"tls", o.tls}};
    doc["progress"] = json::object{{"complete", c.complete()},
                                   {"interrupted", c.interrupted},
                                   {"cells_done", c.cells_done},
                                   {"cells_planned", c.plan.cells.size()}};
    json::array servers, caps, cells;
    for (const auto& s : c.servers) {
        json::array argv;
        for (const auto& a : s.argv) argv.emplace_back(a);
        servers.push_back(json::object{{"name", s.name}, {"argv", std::move(argv)}, {"plaintext", s.plaintext}, {"tls", s.tls}});
    }
    for (const auto& cap : c.plan.caps) caps.emplace_back(cap);
    for (const auto& cell : c.plan.cells)
        for (const auto& s : c.servers) {
            const CellRuns* runs = c.find(s.name, cell.id);
            if (!runs) continue;
            json::object summary;
            for (const auto& f : figures()) {
                const auto spread = (*runs)[f.key];
                summary[f.key] = spread ? json::value(json::object{{"median", spread->median},
                                                                   {"min", spread->min},
                                                                   {"max", spread->max},
                                                                   {"runs", spread->runs}})
                                        : json::value(nullptr);
            }
            json::array each;
            for (const auto& r : runs->runs) each.push_back(result_json(runs->workload, r));
            const std::string error = runs->error();
            cells.push_back(json::object{{"server", s.name},
                                         {"cell", cell.id},
                                         {"workload", workload_json(runs->workload)},
                                         {"valid_runs", runs->valid_runs()},
                                         {"error", error.empty() ? json::value(nullptr) : json::value(error)},
                                         {"regime", error.empty() ? json::value(runs->regime()) : nullptr},
                                         {"figures", std::move(summary)},
                                         {"runs", std::move(each)}});
        }
    doc["servers"] = std::move(servers);
    doc["caps"] = std::move(caps);
    doc["cells"] = std::move(cells);
    replace_file(o.out_dir + "/results.json", json::serialize(doc) + "\n");
}

void write_runs_csv(const Comparison& c) {
    std::ostringstream csv;
    csv << csv_header();
    for (const auto& cell : c.plan.cells)
        for (const auto& s : c.servers)
            if (const CellRuns* runs = c.find(s.name, cell.id))
                for (std::size_t i = 0; i < runs->runs.size(); ++i)
                    csv << csv_line({s.name, cell.id, static_cast<int>(i + 1)}, runs->workload, runs->runs[i]);
    replace_file(c.options.out_dir + "/runs.csv", csv.str());
}

void write_hgrm_files(const Comparison& c) {
    const std::string dir = c.options.out_dir + "/hgrm";
    ::mkdir(dir.c_str(), 0755);
    for (const auto& cell : c.plan.cells)
        for (const auto& s : c.servers)
            if (const CellRuns* runs = c.find(s.name, cell.id); runs && runs->error().empty())
                write_hgrm(dir + "/" + file_safe(s.name + "-" + cell.id) + ".hgrm", runs->merged_latency());
}

}  // namespace echomux::bench
