// SPDX-License-Identifier: BSL-1.0
// The output of `echomux-bench compare`: report.md, results.json, runs.csv, one .hgrm per
// cell and the gnuplot plots. Every figure is the median of the cell's valid repeats, with
// min..max; a cell with no valid run is named as an error and shown as a gap, never as a number.
#pragma once

#include "compare_plan.hpp"
#include "figures.hpp"
#include "load.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace echomux::bench {

// One server's repeats of one cell.
struct CellRuns {
    Workload workload;         // as run (rate sweep: this server's own rate)
    std::vector<Result> runs;  // every repeat, valid or not, in the order run
    std::string not_run;       // why it did not run at all ("" when it did)

    int valid_runs() const;
    // "" when at least one run is valid; otherwise why there is no figure.
    std::string error() const;
    std::optional<Spread> operator[](const char* figure_key) const { return spread(figure(figure_key), runs); }
    Histogram merged_latency() const;  // of the valid runs: merged, not averaged
    // The regime its median utilisations put the cell in ("–" without both figures).
    std::string regime() const;
};

using Results = std::map<std::string, std::map<std::string, CellRuns>>;  // server -> cell id -> runs

struct Comparison {
    const CompareOptions& options;
    const std::vector<ServerSpec>& servers;
    const Plan& plan;
    const Results& results;
    std::size_t cells_done = 0;  // the outputs are written after each cell: plan.cells[0, cells_done)
    bool interrupted = false;    // stopped by SIGINT or SIGTERM: what was measured, and no more

    bool complete() const { return cells_done == plan.cells.size() && !interrupted; }

    const CellRuns* find(const std::string& server, const std::string& cell) const;
    // A figure's median and range for one server's cell; nullopt if it has none.
    std::optional<Spread> spread(const std::string& server, const std::string& cell, const char* key) const;
};

// Each writes its file whole, through a temporary one renamed over it.
void write_report(const Comparison& c);
void write_results_json(const Comparison& c);
void write_runs_csv(const Comparison& c);
void write_hgrm_files(const Comparison& c);  // hgrm/SERVER-CELL.hgrm
// Data files, plots.gp, and the PNGs gnuplot makes from them (false if gnuplot failed).
bool write_plots(const Comparison& c);
// `text` into `path` by way of PATH.part and a rename: a reader never sees half a file.
void replace_file(const std::string& path, const std::string& text);

}  // namespace echomux::bench
