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
    tls,         // --tls: ping-pong, stream and handshakes over TLS
};

struct Cell {
    std::string id;     // "pingpong-64B-50c": file names, JSON, CSV
    CellGroup group = CellGroup::matrix;
    Workload workload;  // rate_sweep: rate is set per server when the cell runs
    double rate_fraction = 0;  // rate_sweep: of the server's req/s in kSaturationCell
};

struct ServerSpec {
    std::string name;
    std::vector<std::string> argv;  // "{port}" and "{tls_port}" are replaced
    bool plaintext = true;          // serves plaintext at {port}: the plaintext cells
    bool tls = false;               // serves TLS at {tls_port}: the TLS cells
};

// Whether a server runs a cell: TLS cells on TLS servers, the others on plaintext ones.
inline bool serves(const ServerSpec& server, const Cell& cell) {
    return cell.workload.tls.enabled ? server.tls : server.plaintext;
}

// The TLS cells (--tls), each against the TLS anchor's figure of the same cell.
constexpr const char* kTlsPingPongCell = "tls-pingpong-64B-50c";
constexpr const char* kTlsStreamCell = "tls-stream-16KiB-4c";
constexpr const char* kTlsHandshakeCell = "tls-handshake-64B-8c";
constexpr const char* kTlsAnchor = "reference-c-tls";
// Where --tls's certificates go, under --out (tls-certs.sh's names in it).
constexpr const char* kTlsCertDir = "tls";

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
// With `tls_dir` (certificates made by tls-certs.sh), a TLS listener at {tls_port} too.
ServerSpec echomux_server(const std::string& echomux, const std::string& backend, const std::string& tls_dir = "");
// `s` as one word for /bin/sh.
std::string shell_quoted(const std::string& s);
// The TLS anchor: echomux-tls-reference-server at {tls_port}, TLS only.
ServerSpec tls_anchor_server(const std::string& binary, const std::string& tls_dir);

}  // namespace echomux::bench
