// SPDX-License-Identifier: BSL-1.0
// echomux-bench results as JSON (Boost.JSON), in the shape docs/bench-result.schema.json
// describes: where and when (tool version, UTC time, host, kernel, CPU model, arguments),
// the workload, and every Result field. A value that was not measured is null, never -1;
// an invalid run carries its reasons and no derived figures.
#pragma once

#include "load.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace echomux::bench {

// "tool", "time", "machine", "arguments": the provenance both `run` and `compare` documents open with.
boost::json::object provenance(const std::string& kind, const std::vector<std::string>& arguments);
boost::json::object workload_json(const Workload& w);
boost::json::object result_json(const Workload& w, const Result& r);

// The document `run --json` prints.
std::string run_json(const Workload& w, const Result& r, const std::vector<std::string>& arguments);

}  // namespace echomux::bench
