// SPDX-License-Identifier: BSL-1.0
// What `echomux-bench compare` runs: the servers, and the cells every server goes through
// (the workload matrix, the idle-connection sweep, the regime check and the
// latency-vs-rate sweep), cut to what this machine's limits allow.
#pragma once

#include "compare.hpp"
#include "load.hpp"

#include <string>
#include <vector>

namespace echomux::bench {

enum class CellGroup {
    matrix,      // the ping-pong and stream workloads
    idle_sweep,  // ping-pong 64 B x 50 next to 0, 100, 1k, 10k, 50k idle connections
    regime,      // the server-bound counterpart of the saturation cell (issue 14's regime check)
    rate_sweep,  // open loop at fractions of each server's own closed-loop saturation
};

struct Cell {
    std::string id;     // "pingpong-64B-50c": file names, JSON, CSV
    CellGroup group = CellGroup::matrix;
    Workload workload;  // rate_sweep: rate is set per server when the cell runs
    double rate_fraction = 0;  // rate_sweep: of the server's req/s in kSaturationCell
};

struct ServerSpec {
    std::string name;
    std::vector<std::string> argv;  // "{port}" is replaced
};

// The closed-loop cell whose median req/s is each server's saturation for the rate sweep,
// and whose server CPU per request is the "client-bound" figure of the regime check.
constexpr const char* kSaturationCell = "pingpong-64B-50c";

struct Plan {
    std::vector<Cell> cells;
    std::vector<std::string> caps;  // what was cut to fit, and why: said in the report
};

// `fd_limit`: the RLIMIT_NOFILE hard limit the load generator and the servers run under;
// `ephemeral_ports`: the size of net.ipv4.ip_local_port_range (every idle connection to
// one server port needs a local port of its own).
Plan make_plan(const CompareOptions& o, long fd_limit, long ephemeral_ports);

// The echomux backends the binary offers, from the "backends:" line of `echomux --version`
// (so a build with io_uring compares it too); throws std::runtime_error if it cannot tell.
std::vector<std::string> probe_backends(const std::string& echomux);
// The echomux command line for one backend label ("epoll-edge" -> --backend=epoll --epoll-mode=edge).
ServerSpec echomux_server(const std::string& echomux, const std::string& backend);

}  // namespace echomux::bench
