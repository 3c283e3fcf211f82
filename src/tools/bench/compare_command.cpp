// SPDX-License-Identifier: BSL-1.0
// `echomux-bench compare`: its options, and every check of them before the first server starts.
#include "cli.hpp"
#include "compare.hpp"
#include "compare_plan.hpp"

#include "tools/command_line.hpp"
#include "tools/writable_path.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace echomux::bench {

const char* const kCompareSynopsis = "echomux-bench compare [--quick] [--tls] [--out DIR] [--backends B...] [OPTION...]";

namespace {

const char* const kCompareWhat =
    "Runs the same workloads against each echomux backend, a reference C epoll server and any --server,\n"
    "and writes report.md, results.json, runs.csv, one .hgrm per cell and PNG plots. A cell with no valid\n"
    "run is an error (exit 1), never a number.";

struct CompareArgs {
    CompareOptions o;
    std::vector<std::string> external, backends;
};

po::options_description compare_options(CompareArgs& a) {
    CompareOptions& o = a.o;
    po::options_description desc;
    desc.add_options()("help,h", "print this help and exit")
        ("quick", "a small matrix for smoke tests (under 30 s)")
        ("full", "the whole matrix (1, 50 and 500 connections, every idle count and rate; about 9 min on 2 CPUs) "
                 "instead of the cells that decide its conclusions (under 3 min)")
        ("repeats,r", po::value(&o.repeats), "runs per cell, servers interleaved; figures are medians of the valid runs [3, full: 5, quick: 1]")
        ("duration,d", po::value(&o.duration), "seconds measured per run [0.5, quick: 0.3]")
        ("warmup", po::value(&o.warmup), "seconds of warm-up per run [0.15, quick: 0.1]")
        ("out,o", po::value(&o.out_dir)->default_value(o.out_dir), "directory for the report, data and plots")
        ("backends", po::value<std::vector<std::string>>(&a.backends)->multitoken(),
         "echomux backends [all that echomux --version lists]")
        ("idle-sweep", po::value<std::vector<int>>(&o.idle_sweep)->multitoken(),
         "idle connections next to ping-pong 64 B x 50 [10000, full: 0 100 1000 10000 50000, quick: 0 1000; "
         "capped to fit RLIMIT_NOFILE]")
        ("rate-sweep", po::value<std::vector<double>>(&o.rate_fractions)->multitoken(),
         "open-loop rates, as fractions of each server's saturation [0.5 1, full: 0.1 0.25 0.5 0.75 0.9 1 1.1, "
         "quick: 0.5 1]")
        ("tls", "TLS cells too (ping-pong 64 B x 50, stream 16 KiB x 4, handshakes 8 at once): each echomux backend "
                "with a TLS listener beside its plaintext one, and the TLS anchor; certificates made for the run in "
                "OUT/tls by --tls-certs-script (about 40 s more on 2 CPUs)")
        ("tls-reference", po::value(&o.tls_reference)->default_value(o.tls_reference, "echomux-tls-reference-server beside it"),
         "--tls: the TLS anchor, a minimal OpenSSL epoll echo in C ('' = none)")
        ("tls-certs-script", po::value(&o.tls_certs_script)->default_value(o.tls_certs_script, "../scripts/tls-certs.sh from echomux-bench"),
         "--tls: makes a throwaway CA and certificates (DIR as its argument)")
        ("server", po::value<std::vector<std::string>>(&a.external),
         "also compare NAME=COMMAND, with {port} in COMMAND (repeatable)")
        // Shown as the rule, not the path: the help (and the man page made from it) must
        // not depend on where this build sits.
        ("echomux", po::value(&o.echomux)->default_value(o.echomux, "echomux beside echomux-bench"), "echomux binary")
        ("reference", po::value(&o.reference)->default_value(o.reference, "echomux-reference-server beside it"),
         "reference C epoll server ('' = none)")
        ("server-cpu", po::value(&o.server_cpu)->default_value(o.server_cpu), "CPU for servers (-1: no pinning)")
        ("client-cpu", po::value(&o.client_cpu)->default_value(o.client_cpu), "CPU for the load generator");
    return desc;
}

bool may_run_on(int cpu) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    ::sched_getaffinity(0, sizeof allowed, &allowed);
    return cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &allowed);
}

void check_executable(const std::string& option, const std::string& path) {
    if (::access(path.c_str(), X_OK) != 0)
        throw po::error(option + " " + path + ": not an executable file: " + std::strerror(errno));
}

// What can be known before the first server starts: the binaries, the backends they offer,
// the CPUs, the names, and that every file of the report can be written.
void check_before_work(CompareOptions& o) {
    if (!(o.duration > 0) || o.duration > 3600) throw po::error("--duration must be above 0 (and at most 3600)");
    if (!(o.warmup >= 0) || o.warmup > 3600) throw po::error("--warmup must be from 0 to 3600");
    for (const auto& [option, cpu] : {std::pair{"--server-cpu", o.server_cpu}, std::pair{"--client-cpu", o.client_cpu}})
        if (cpu != -1 && !may_run_on(cpu))
            throw po::error(std::string(option) + " " + std::to_string(cpu) + ": not a CPU this process may run on");
    check_executable("--echomux", o.echomux);
    if (!o.reference.empty()) check_executable("--reference", o.reference);
    if (o.tls && !o.tls_reference.empty()) check_executable("--tls-reference", o.tls_reference);
    if (o.tls && ::access(o.tls_certs_script.c_str(), R_OK) != 0)
        throw po::error("--tls-certs-script " + o.tls_certs_script + ": cannot read it: " + std::strerror(errno));
    std::vector<std::string> offered;
    try {
        offered = probe_backends(o.echomux);
    } catch (const std::runtime_error& e) {
        if (o.backends.empty()) throw po::error(e.what());
    }
    std::vector<std::string> names;
    for (const auto& b : o.backends) {
        if (!offered.empty() && std::find(offered.begin(), offered.end(), b) == offered.end()) {
            std::string list;
            for (const auto& known : offered) list += (list.empty() ? "" : ", ") + known;
            throw po::error("--backends " + b + ": not a backend of " + o.echomux + " (it offers " + list + ")");
        }
        names.push_back(b);
    }
    for (const auto& [name, command] : o.external) names.push_back(name);
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty() || names[i].find_first_of("/ \t") != std::string::npos)
            throw po::error("--server " + names[i] + ": a name is one word, without '/'");
        if (std::find(names.begin(), names.begin() + static_cast<long>(i), names[i]) != names.begin() + static_cast<long>(i))
            throw po::error("the server name '" + names[i] + "' is given twice");
    }
    for (const std::string& dir : {o.out_dir, o.out_dir + "/hgrm"})
        if (const std::string why = tools::make_directories(dir); !why.empty())
            throw po::error("--out " + o.out_dir + ": cannot write: " + why);
    for (const char* file : {"report.md", "results.json", "runs.csv"}) check_writable("--out", o.out_dir + "/" + file);
}

}  // namespace

int compare_command(const std::vector<std::string>& args) {
    CompareArgs a;
    CompareOptions& o = a.o;
    o.echomux = sibling("echomux");
    o.reference = sibling("echomux-reference-server");
    o.tls_reference = sibling("echomux-tls-reference-server");
    o.tls_certs_script = sibling("../scripts/tls-certs.sh");  // a build directory in the source tree
    po::variables_map vm;
    if (!parse(compare_options(a), args, vm, kCompareSynopsis, kCompareWhat)) return 0;
    o.quick = vm.count("quick") > 0;
    o.full = vm.count("full") > 0;
    o.tls = vm.count("tls") > 0;
    if (o.quick && o.full) throw po::error("--quick and --full: give one");
    // The default: the cells and repeats the conclusions rest on (CPU per request against the
    // C loop at 50 connections, the regime check, streaming, idle connections, latency
    // against rate); --full adds the cells that only fill in the curves.
    if (!o.quick && !o.full) {
        if (!vm.count("repeats")) o.repeats = 3;
        if (!vm.count("idle-sweep")) o.idle_sweep = {10000};
        if (!vm.count("rate-sweep")) o.rate_fractions = {0.5, 1};
    }
    if (o.quick) {
        if (!vm.count("repeats")) o.repeats = 1;
        if (!vm.count("duration")) o.duration = 0.3;
        if (!vm.count("warmup")) o.warmup = 0.1;
    }
    if (o.quick && !vm.count("idle-sweep")) o.idle_sweep = {0, 1000};
    if (o.quick && !vm.count("rate-sweep")) o.rate_fractions = {0.5, 1};
    if (o.repeats < 1) throw po::error("--repeats must be at least 1");
    for (int idle : o.idle_sweep)
        if (idle < 0) throw po::error("--idle-sweep takes counts of 0 or more");
    for (double fraction : o.rate_fractions)
        if (!(fraction > 0 && fraction <= 10)) throw po::error("--rate-sweep takes fractions above 0, up to 10");
    if (!a.backends.empty()) o.backends = a.backends;
    for (const auto& e : a.external) {
        const auto eq = e.find('=');
        if (eq == std::string::npos || e.find("{port}") == std::string::npos)
            throw po::error("--server takes NAME=COMMAND with {port} in COMMAND");
        o.external.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
    check_before_work(o);
    o.arguments = with_command("compare", args);
    o.command_line = "echomux-bench compare";
    for (const auto& arg : args) o.command_line += " " + arg;
    return run_compare(o);
}

std::string compare_options_help() {
    CompareArgs a;
    return tools::options_help("Options (compare)", compare_options(a));
}

}  // namespace echomux::bench
