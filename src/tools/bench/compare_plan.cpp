// SPDX-License-Identifier: BSL-1.0
#include "compare_plan.hpp"

#include "open_files.hpp"

#include "echomux/core/config.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace echomux::bench {
namespace {

Cell cell(const CompareOptions& o, std::string id, CellGroup group, Workload::Kind kind, std::size_t size,
          int connections, int idle) {
    Cell c;
    c.id = std::move(id);
    c.group = group;
    c.workload.kind = kind;
    c.workload.size = size;
    c.workload.connections = connections;
    c.workload.idle = idle;
    c.workload.duration = o.duration;
    c.workload.warmup = o.warmup;
    return c;
}

// "1000" -> "1k", as the plots' axes say it.
std::string short_count(int n) {
    if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
    return std::to_string(n);
}

}  // namespace

std::string shell_quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

Plan make_plan(const CompareOptions& o, long fd_limit, long ephemeral_ports) {
    using K = Workload::Kind;
    Plan plan;
    auto add = [&](Cell c) { plan.cells.push_back(std::move(c)); };
    if (o.full) add(cell(o, "pingpong-64B-1c", CellGroup::matrix, K::pingpong, 64, 1, 0));
    add(cell(o, kSaturationCell, CellGroup::matrix, K::pingpong, 64, 50, 0));
    if (o.full) add(cell(o, "pingpong-64B-500c", CellGroup::matrix, K::pingpong, 64, 500, 0));
    add(cell(o, "stream-16KiB-50c", CellGroup::matrix, K::stream, 16384, 50, 0));

    // Server-bound: ten times the connections, so each of the server's wake-ups finds work
    // on many of them, and two load loops (--threads 2) so the generator is not the limit.
    Cell regime = cell(o, "regime-pingpong-64B-500c-2threads", CellGroup::regime, K::pingpong, 64, 500, 0);
    regime.workload.threads = 2;
    add(regime);

    // Idle connections: the load generator and the server each hold one descriptor per
    // connection, and every connection to the one server port needs its own local port.
    const int busy = 50;
    const long slack = static_cast<long>(kOpenFilesSlack);
    const long fits = std::max(0L, std::min(fd_limit - busy - slack, ephemeral_ports - busy - slack));
    for (int asked : o.idle_sweep) {
        if (asked <= 0) continue;  // 0 idle is the saturation cell itself
        int idle = asked;
        if (idle > fits) {
            idle = static_cast<int>(fits);
            std::ostringstream why;
            why << "idle sweep: " << asked << " idle connections asked, " << idle << " run (RLIMIT_NOFILE hard limit "
                << fd_limit << ", " << ephemeral_ports << " local ports)";
            plan.caps.push_back(why.str());
        }
        if (idle <= 0) continue;
        add(cell(o, "pingpong-64B-50c-" + short_count(idle) + "idle", CellGroup::idle_sweep, K::pingpong, 64, busy,
                 idle));
    }

    if (o.tls) {
        // The cells of scripts/tls-bench.sh: CPU per request, stream throughput, CPU per
        // handshake (a new connection, a full handshake, one 64 B echo, closed; 8 at once).
        Cell ping = cell(o, kTlsPingPongCell, CellGroup::tls, K::pingpong, 64, 50, 0);
        Cell stream = cell(o, kTlsStreamCell, CellGroup::tls, K::stream, 16384, 4, 0);
        Cell handshakes = cell(o, kTlsHandshakeCell, CellGroup::tls, K::pingpong, 64, 8, 0);
        handshakes.workload.handshake = true;
        for (Cell* c : {&ping, &stream, &handshakes}) {
            c->workload.tls.enabled = true;
            c->workload.tls.ca_file = o.out_dir + "/" + kTlsCertDir + "/ca.pem";
            c->workload.tls.server_name = "localhost";  // the certificate's name, and the SNI sent
            add(std::move(*c));
        }
    }

    for (double fraction : o.rate_fractions) {
        Cell c = cell(o, "rate-" + std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "pct",
                      CellGroup::rate_sweep, K::pingpong, 64, busy, 0);
        c.rate_fraction = fraction;
        add(c);
    }
    return plan;
}

std::vector<std::string> probe_backends(const std::string& echomux) {
    const std::string command = shell_quoted(echomux) + " --version 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + echomux + " --version");
    std::string text;
    char chunk[512];
    // Bounded: --version prints two short lines.
    for (std::size_t n; text.size() < 65536 && (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) text.append(chunk, n);
    const int status = ::pclose(pipe);
    std::vector<std::string> backends;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("backends:", 0) == 0) {
            std::istringstream words(line.substr(9));
            for (std::string b; words >> b;) backends.push_back(b);
        }
    if (status != 0 || backends.empty())
        throw std::runtime_error(echomux + " --version did not list its backends (a 'backends:' line); name them with --backends");
    return backends;
}

ServerSpec echomux_server(const std::string& echomux, const std::string& backend, const std::string& tls_dir) {
    std::vector<std::string> argv = {echomux, "--listen=127.0.0.1", "--port={port}", "--log-level=warn",
                                     "--idle-timeout=0", "--max-connections=100000"};
    // A label with a mode as two flags, which echomux binaries from before epoll-edge was a
    // backend value accept too: compare runs old builds side by side with new ones.
    const auto choice = backend_names().parse(backend);
    if (choice && choice->mode) {
        argv.push_back(std::string("--backend=") + backend_name(choice->backend));
        argv.push_back(std::string("--epoll-mode=") + epoll_mode_name(*choice->mode));
    } else {
        argv.push_back("--backend=" + backend);
    }
    ServerSpec spec{backend, argv};
    if (!tls_dir.empty()) {
        for (const std::string& a : std::vector<std::string>{"--tls-port={tls_port}", "--tls-cert=" + tls_dir + "/server.pem",
                                                              "--tls-key=" + tls_dir + "/server.key"})
            spec.argv.push_back(a);
        spec.tls = true;
    }
    return spec;
}

ServerSpec tls_anchor_server(const std::string& binary, const std::string& tls_dir) {
    ServerSpec spec{kTlsAnchor, {binary, "{tls_port}", tls_dir + "/server.pem", tls_dir + "/server.key"}};
    spec.plaintext = false;
    spec.tls = true;
    return spec;
}

}  // namespace echomux::bench
