// SPDX-License-Identifier: BSL-1.0
// echomux-bench results as CSV (RFC 4180): one header line, then one line per run. The
// figure columns come from figures(); a value not measured (or of an invalid run) is an
// empty field, never -1.
#pragma once

#include "load.hpp"

#include <string>

namespace echomux::bench {

// Which run a line is: `run` names the server by its address; `compare` by its name, the
// cell and the repeat.
struct CsvRunName {
    std::string server, cell;
    int repeat = 1;
};

std::string csv_header();
std::string csv_line(const CsvRunName& name, const Workload& w, const Result& r);

}  // namespace echomux::bench
