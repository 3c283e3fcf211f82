// SPDX-License-Identifier: BSL-1.0
// The output of `echomux-bench compare`: a Markdown report and gnuplot plots.
#pragma once

#include "compare.hpp"
#include "load.hpp"

#include <map>
#include <string>
#include <vector>

namespace echomux::bench {

struct Cell {
    std::string id;
    Workload workload;
};

struct ServerSpec {
    std::string name;
    std::vector<std::string> argv;  // "{port}" is replaced
};

using Results = std::map<std::string, std::map<std::string, Result>>;  // server -> cell -> median run

void write_report(const CompareOptions& o, const std::vector<ServerSpec>& specs, const std::vector<Cell>& cells,
                  const Results& results);
// Data files, plots.gp, and the PNGs gnuplot makes from them.
void write_plots(const CompareOptions& o, const std::vector<ServerSpec>& specs, const std::vector<Cell>& cells,
                 const Results& results);

}  // namespace echomux::bench
