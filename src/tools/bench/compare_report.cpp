// SPDX-License-Identifier: BSL-1.0
#include "compare_report.hpp"

#include "compare_starved.hpp"
#include "machine.hpp"
#include "regime.hpp"
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace echomux::bench {
namespace {

// A median for a table, "–" when there is none (never 0 or -1).
std::string shown(const std::optional<Spread>& s, const char* pattern = "%.0f") {
    return s ? format(pattern, s->median) : "–";
}
std::string shown_with_range(const std::optional<Spread>& s, const char* pattern) {
    if (!s) return "–";
    if (s->runs < 2) return format(pattern, s->median);
    return format(pattern, s->median) + " (" + format(pattern, s->min) + "–" + format(pattern, s->max) + ")";
}
std::string latency(const std::optional<Spread>& s) {
    if (!s) return "–";
    return s->median >= 10000 ? format("%.1f ms", s->median / 1e3) : format("%.1f us", s->median);
}


// Each distinct reason and note, with how many of the cell's runs had it.
std::vector<std::string> reasons_and_notes(const CellRuns& runs) {
    std::map<std::string, int> invalid, notes;
    for (const auto& r : runs.runs) {
        for (const auto& why : r.invalid) ++invalid[why];
        for (const auto& note : r.notes) ++notes[note];
    }
    std::vector<std::string> lines;
    const std::size_t n = runs.runs.size();
    for (const auto& [why, count] : invalid)
        lines.push_back(format("invalid (%d of %zu runs): %s", count, n, why.c_str()));
    for (const auto& [note, count] : notes) lines.push_back(format("note (%d of %zu runs): %s", count, n, note.c_str()));
    return lines;
}


bool is_group(const Cell& c, CellGroup g) { return c.group == g; }

// A cell's heading: its workload, and for a TLS cell what a request is.
std::string title(const Workload& w) {
    if (!w.tls.enabled) return describe(w);
    if (w.handshake)
        return format("TLS handshakes: a new connection, a full handshake, one %zu B echo, closed; %d at once "
                      "(a request is a connection)",
                      w.size, w.connections);
    return "TLS " + describe(w);
}

// The TLS targets of issue 22, each echomux backend against the TLS anchor in the same cell.
void tls_targets(const Comparison& c, std::ostringstream& md) {
    struct Target {
        const char* cell;
        const char* key;
        const char* what;
        const char* unit;
        bool at_most;  // the ratio's bound is an upper one
        double bound;
    };
    const Target targets[] = {
        {kTlsPingPongCell, "server_us_per_request", "server CPU per request, TLS ping-pong 64 B x 50", "us", true, 1.10},
        {kTlsStreamCell, "megabytes_per_second", "TLS stream 16 KiB x 4", "MB/s", false, 0.90},
        {kTlsHandshakeCell, "server_us_per_request", "server CPU per handshake", "us", true, 1.10},
    };
    for (const auto& t : targets) {
        const auto anchor = c.spread(kTlsAnchor, t.cell, t.key);
        for (const auto& s : c.servers) {
            if (s.name == kTlsAnchor) continue;
            const CellRuns* r = c.find(s.name, t.cell);
            const auto figure = c.spread(s.name, t.cell, t.key);
            if (!r || !figure || !anchor || anchor->median <= 0) continue;
            const double ratio = figure->median / anchor->median;
            const bool met = t.at_most ? ratio <= t.bound : ratio >= t.bound;
            md << format("- %s: %s is %.2fx the TLS anchor's (%.2f vs %.2f %s; %s): %s %.2fx\n", s.name.c_str(), t.what,
                         ratio, figure->median, anchor->median, t.unit, r->regime().c_str(),
                         met ? "within" : "misses", t.bound);
        }
    }
}

}  // namespace

void write_report(const Comparison& c) {
    const CompareOptions& o = c.options;
    const Machine m = this_machine();
    std::ostringstream md;
    md << "# echomux backend comparison\n\n";
    // First, so nobody takes a part for the whole.
    if (!c.complete())
        md << "**INCOMPLETE: " << c.cells_done << " of " << c.plan.cells.size() << " cells measured"
           << (c.interrupted ? ", then interrupted" : " so far (still running, or stopped)")
           << ".** The tables hold the cells measured; conclusions below are from those alone.\n\n";
    md
       << "- date: " << utc_timestamp() << "\n- machine: " << (m.cpu_model.empty() ? "unknown CPU" : m.cpu_model)
       << ", " << m.cpus << " CPUs, " << m.kernel << "\n"
       << "- command: `" << o.command_line << "`\n"
       << "- servers pinned to CPU " << o.server_cpu << ", load generator to CPU " << o.client_cpu << "; each cell "
       << "runs " << o.repeats << " time(s) (" << o.duration << " s after " << o.warmup
       << " s warm-up), the servers interleaved (A B C A B C ...)\n"
       << "- every figure is the median over the cell's valid runs, with (min–max) where there are several; an "
          "invalid run (see its reason) gives no figure, and a cell with no valid run is an error, shown as –\n"
       << "- server CPU is all the server's threads' run time (from /proc/PID/task/*/schedstat) during the "
          "measured window; server CPU % is that over the window's length, and labels the regime: server-bound "
          "(>= " << kServerBoundPercent << " % of a CPU), client-bound (the load generator >= "
       << kClientBoundPercent << " %), or neither\n"
       << "- latency distributions: hgrm/SERVER-CELL.hgrm (HdrHistogram format, us, the valid runs merged); "
          "every run: runs.csv and results.json\n"
       << format("- a run is invalid as starved / interfered when its req/s is under %.0f %% of the median of the "
                 "cell's other runs (in the rate sweep: of the rate asked) while the server and the load generator "
                 "each used under %.0f %% of a core: the machine, not the server, set that figure; each such run is run once "
                 "more at the end of its cell, and both are listed\n",
                 100 * kStarvedShare, 100 * kIdleShare);
    for (const auto& cap : c.plan.caps) md << "- " << cap << "\n";
    std::vector<std::string> errors;
    for (const auto& cell : c.plan.cells)
        for (const auto& s : c.servers)
            if (const CellRuns* runs = c.find(s.name, cell.id); runs && !runs->error().empty())
                errors.push_back(s.name + " " + cell.id + ": " + runs->error());
    if (!errors.empty()) {
        md << "\n## Errors: cells with no figure\n\n";
        for (const auto& e : errors) md << "- " << e << "\n";
    }
    std::vector<std::string> starved;
    for (const auto& cell : c.plan.cells)
        for (const auto& s : c.servers)
            if (const CellRuns* runs = c.find(s.name, cell.id))
                for (std::size_t i = 0; i < runs->runs.size(); ++i)
                    for (const auto& why : runs->runs[i].invalid)
                        if (why.rfind(kStarvedReason, 0) == 0)
                            starved.push_back(format("%s %s, run %zu: ", s.name.c_str(), cell.id.c_str(), i + 1) + why);
    if (!starved.empty()) {
        md << "\n## Starved / interfered runs: excluded from the medians and the conclusions\n\n";
        for (const auto& line : starved) md << "- " << line << "\n";
    }
    md << "\n";

    for (const auto& cell : c.plan.cells) {
        const bool measured = std::any_of(c.servers.begin(), c.servers.end(),
                                          [&](const ServerSpec& s) { return c.find(s.name, cell.id) != nullptr; });
        if (is_group(cell, CellGroup::rate_sweep) || !measured) continue;
        md << "## " << title(cell.workload) << " (" << cell.id << ")\n\n"
           << "| server | req/s | MB/s echoed | p50 | p90 | p99 | p99.9 | max | server CPU us/req | server CPU % "
              "| client CPU % | regime | server RSS MiB | valid runs | errors |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        std::vector<std::string> remarks;
        for (const auto& s : c.servers) {
            const CellRuns* runs = c.find(s.name, cell.id);
            if (!runs) continue;
            std::uint64_t errors_seen = 0;
            for (const auto& r : runs->runs) errors_seen += r.errors;
            md << "| " << s.name << " | " << shown_with_range((*runs)["requests_per_second"], "%.0f") << " | "
               << shown((*runs)["megabytes_per_second"], "%.1f") << " | " << latency((*runs)["latency_p50_us"])
               << " | " << latency((*runs)["latency_p90_us"]) << " | " << latency((*runs)["latency_p99_us"]) << " | "
               << latency((*runs)["latency_p99_9_us"]) << " | " << latency((*runs)["latency_max_us"]) << " | "
               << shown_with_range((*runs)["server_us_per_request"], "%.2f") << " | "
               << shown((*runs)["server_cpu_percent"]) << " | " << shown((*runs)["client_cpu_percent"]) << " | "
               << runs->regime() << " | " << shown((*runs)["server_rss_mib"], "%.1f") << " | "
               << runs->valid_runs() << " of " << runs->runs.size() << " | " << errors_seen << " |\n";
            if (!runs->error().empty()) remarks.push_back(s.name + ": NO FIGURE: " + runs->error());
            for (const auto& line : reasons_and_notes(*runs)) remarks.push_back(s.name + ": " + line);
        }
        md << "\n";
        for (const auto& r : remarks) md << "- " << r << "\n";
        if (!remarks.empty()) md << "\n";
    }

    // Latency against offered load, each server at fractions of its own saturation.
    bool any_rate = false;
    for (const auto& cell : c.plan.cells) any_rate = any_rate || is_group(cell, CellGroup::rate_sweep);
    if (any_rate) {
        md << "## Latency vs offered rate (ping-pong 64 B x 50, open loop)\n\n"
           << "Each server at fractions of its own closed-loop saturation (its median req/s in " << kSaturationCell
           << "); latency from each request's intended send time.\n\n"
           << "| server | of saturation | asked req/s | achieved req/s | p50 | p99 | p99.9 | server CPU % | valid runs |\n"
              "|---|---|---|---|---|---|---|---|---|\n";
        std::vector<std::string> remarks;
        for (const auto& s : c.servers)
            for (const auto& cell : c.plan.cells) {
                if (!is_group(cell, CellGroup::rate_sweep)) continue;
                const CellRuns* runs = c.find(s.name, cell.id);
                if (!runs) continue;
                md << "| " << s.name << " | " << format("%.0f %%", cell.rate_fraction * 100) << " | "
                   << (runs->workload.rate > 0 ? format("%.0f", runs->workload.rate) : "–") << " | "
                   << shown_with_range((*runs)["requests_per_second"], "%.0f") << " | "
                   << latency((*runs)["latency_p50_us"]) << " | " << latency((*runs)["latency_p99_us"]) << " | "
                   << latency((*runs)["latency_p99_9_us"]) << " | " << shown((*runs)["server_cpu_percent"]) << " | "
                   << runs->valid_runs() << " of " << runs->runs.size() << " |\n";
                if (!runs->error().empty()) remarks.push_back(s.name + " " + cell.id + ": NO FIGURE: " + runs->error());
                for (const auto& line : reasons_and_notes(*runs)) remarks.push_back(s.name + " " + cell.id + ": " + line);
            }
        md << "\n";
        for (const auto& r : remarks) md << "- " << r << "\n";
        if (!remarks.empty()) md << "\n";
    }

    // Issue 14's regime check: does server CPU per request hold when the server, not the
    // load generator, is the one saturated?
    const Cell* server_bound = nullptr;
    Workload saturation_workload;
    for (const auto& cell : c.plan.cells) {
        if (is_group(cell, CellGroup::regime)) server_bound = &cell;
        if (cell.id == kSaturationCell) saturation_workload = cell.workload;
    }
    if (server_bound) {
        const auto ref_cost_a = c.spread("reference-c-epoll", kSaturationCell, "server_us_per_request");
        const auto ref_cost_b = c.spread("reference-c-epoll", server_bound->id, "server_us_per_request");
        md << "## Regime check: server CPU per request in two regimes\n\n"
           << "A = " << kSaturationCell << " (" << describe(saturation_workload) << "), B = " << server_bound->id
           << " (" << describe(server_bound->workload) << "). Each figure is labelled with the regime its server "
              "CPU use puts it in; a ratio is to the reference C loop in the same cell.\n\n"
           << "| server | A us/req | A server CPU % | A regime | A vs C loop | B us/req | B server CPU % | B regime "
              "| B vs C loop | B / A |\n|---|---|---|---|---|---|---|---|---|---|\n";
        std::vector<std::string> differ;
        for (const auto& s : c.servers) {
            const CellRuns* a = c.find(s.name, kSaturationCell);
            const CellRuns* b = c.find(s.name, server_bound->id);
            if (!a || !b) continue;
            const auto cost_a = (*a)["server_us_per_request"], cost_b = (*b)["server_us_per_request"];
            auto ratio = [](const std::optional<Spread>& x, const std::optional<Spread>& y) {
                return x && y && y->median > 0 ? format("%.2fx", x->median / y->median) : std::string("–");
            };
            md << "| " << s.name << " | " << shown(cost_a, "%.2f") << " | " << shown((*a)["server_cpu_percent"])
               << " | " << a->regime() << " | " << ratio(cost_a, ref_cost_a) << " | " << shown(cost_b, "%.2f")
               << " | " << shown((*b)["server_cpu_percent"]) << " | " << b->regime() << " | "
               << ratio(cost_b, ref_cost_b) << " | " << ratio(cost_b, cost_a) << " |\n";
            if (cost_a && cost_b && cost_a->median > 0 && std::fabs(cost_b->median / cost_a->median - 1) > 0.05)
                differ.push_back(format("%s: %.2f us/request %s (A) vs %.2f us/request %s (B)", s.name.c_str(),
                                        cost_a->median, a->regime().c_str(), cost_b->median,
                                        b->regime().c_str()));
        }
        md << "\n";
        if (differ.empty())
            md << "The two regimes agree within 5 % for every server with both figures.\n\n";
        else {
            md << "Where the regimes differ by more than 5 %, quote the figure with its regime:\n\n";
            for (const auto& d : differ) md << "- " << d << "\n";
            md << "\n";
        }
    }

    md << "## Targets\n\n";
    const auto reference_cost = c.spread("reference-c-epoll", kSaturationCell, "server_us_per_request");
    for (const auto& s : c.servers) {
        if (s.name == "reference-c-epoll") continue;
        const CellRuns* r = c.find(s.name, kSaturationCell);
        const auto cost = c.spread(s.name, kSaturationCell, "server_us_per_request");
        if (!r || !cost || !reference_cost || reference_cost->median <= 0) continue;
        const double ratio = cost->median / reference_cost->median;
        md << format("- %s: server CPU per request at ping-pong 64 B x 50 (%s) is %.2fx the reference C epoll loop's "
                     "(%.2f vs %.2f us): %s\n",
                     s.name.c_str(), r->regime().c_str(), ratio, cost->median, reference_cost->median,
                     ratio <= 1.0 ? "within 1.0x" : "above 1.0x");
    }
    for (const auto& s : c.servers) {
        const CellRuns* r = c.find(s.name, "stream-16KiB-50c");
        const auto mbps = c.spread(s.name, "stream-16KiB-50c", "megabytes_per_second");
        if (r && mbps)
            md << format("- %s: stream 16 KiB x 50 echoes %.2f GB/s back (%.2f GB/s through the server, in + out; %s)\n",
                         s.name.c_str(), mbps->median / 1e3, 2 * mbps->median / 1e3, r->regime().c_str());
    }
    for (const auto& s : c.servers) {
        const Cell* largest = nullptr;
        for (const auto& cell : c.plan.cells)
            if (is_group(cell, CellGroup::idle_sweep)) largest = &cell;
        if (!largest) break;
        const auto b = c.spread(s.name, kSaturationCell, "requests_per_second");
        const auto i = c.spread(s.name, largest->id, "requests_per_second");
        const auto rss = c.spread(s.name, largest->id, "server_rss_mib");
        if (b && i && b->median > 0)
            md << format("- %s with %d idle connections: req/s is %.2fx that without; server RSS %s MiB\n",
                         s.name.c_str(), largest->workload.idle, i->median / b->median, shown(rss, "%.1f").c_str());
    }
    tls_targets(c, md);
    md << "\n## Plots\n\nError bars: min..max over the valid repeats; a missing bar or point is a cell with no "
          "valid run.\n\n"
       << "![requests per second](requests.png)\n\n![server CPU per request](cpu.png)\n\n"
       << "![latency percentiles](latency.png)\n\n![cost of idle connections](idle.png)\n\n"
       << "![throughput with idle connections](idle-rps.png)\n\n![latency vs offered rate](rate.png)\n";
    replace_file(o.out_dir + "/report.md", md.str());
}

}  // namespace echomux::bench
