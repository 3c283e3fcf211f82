// SPDX-License-Identifier: BSL-1.0
// echomux-bench: load generator (`run`) and backend comparison (`compare`).
#include "compare.hpp"
#include "csv_report.hpp"
#include "hgrm.hpp"
#include "json_report.hpp"
#include "load.hpp"
#include "report.hpp"

#include "tools/command_line.hpp"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <climits>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;
using namespace echomux::bench;

namespace {

const std::string kProgram = "echomux-bench";

// The synopsis lines: the bash completion reads the commands and the choices here.
const char* const kRunSynopsis =
    "echomux-bench run [--host H] [--port P] [--workload pingpong|stream|udp] [--mode echo|upper] [OPTION...]";
const char* const kCompareSynopsis = "echomux-bench compare [--quick] [--out DIR] [--backends B...] [OPTION...]";
const char* const kRunWhat =
    "Loads one echo server with ping-pong or streaming connections (or UDP datagrams), verifies every\n"
    "byte that comes back, and reports requests/s, MB/s, latency percentiles and CPU time.";
const char* const kCompareWhat =
    "Runs the same workloads against each echomux backend, a reference C epoll server and any --server,\n"
    "and writes report.md, results.json, runs.csv, one .hgrm per cell and PNG plots. A cell with no valid\n"
    "run is an error (exit 1), never a number.";

// A binary next to this one (echomux, echomux-reference-server in the build directory).
std::string sibling(const std::string& name) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return name;
    std::string path(self, static_cast<std::size_t>(n));
    return path.substr(0, path.rfind('/') + 1) + name;
}

// The command and its arguments as given: what the JSON records, so that
// `echomux-bench ARGUMENTS...` repeats the run.
std::vector<std::string> with_command(const std::string& command, std::vector<std::string> args) {
    args.insert(args.begin(), command);
    return args;
}

struct RunArgs {
    Workload w;
    std::string workload = "pingpong", mode = "echo";
    int cpu = -1;
    std::string hgrm;  // file for the latency distribution
};

po::options_description run_options(RunArgs& a) {
    Workload& w = a.w;
    po::options_description desc;
    desc.add_options()("help,h", "print this help and exit")
        ("host", po::value(&w.host)->default_value(w.host),
         "server name or address: localhost, 127.0.0.1, ::1 (TCP: each address of a name tried in turn)")
        ("port,p", po::value(&w.port)->default_value(w.port), "server port")
        ("workload,w", po::value(&a.workload)->default_value(a.workload),
         "one of: pingpong, stream, udp (udp: ping-pong of datagrams, loss counted)")
        ("connections,c", po::value(&w.connections)->default_value(w.connections), "active connections (udp: sockets)")
        ("size,s", po::value(&w.size)->default_value(w.size), "bytes per message (stream: per chunk)")
        ("window", po::value(&w.window)->default_value(w.window), "stream: bytes in flight per connection")
        ("idle", po::value(&w.idle)->default_value(w.idle), "idle connections held open alongside")
        ("warmup", po::value(&w.warmup)->default_value(w.warmup), "seconds before measuring")
        ("duration,d", po::value(&w.duration)->default_value(w.duration), "seconds measured")
        ("mode", po::value(&a.mode)->default_value(a.mode), "what the server sends back: echo or upper")
        ("timeout", po::value(&w.timeout)->default_value(w.timeout), "udp: seconds before a datagram counts as lost")
        ("server-pid", po::value(&w.server_pid), "measure this process's CPU and RSS")
        ("cpu", po::value(&a.cpu), "pin the load generator to this CPU")
        ("json", "print JSON instead of a table (docs/bench-result.schema.json)")
        ("csv", "print CSV instead of a table: a header line and one line for the run")
        ("hgrm", po::value(&a.hgrm), "also write the latency distribution to this file (HdrHistogram .hgrm, us)");
    return desc;
}

struct CompareArgs {
    CompareOptions o;
    std::vector<std::string> external, backends;
};

po::options_description compare_options(CompareArgs& a) {
    CompareOptions& o = a.o;
    po::options_description desc;
    desc.add_options()("help,h", "print this help and exit")
        ("quick", "a small matrix for smoke tests (under 30 s)")
        ("repeats,r", po::value(&o.repeats), "runs per cell, servers interleaved; figures are medians of the valid runs [5, quick: 1]")
        ("duration,d", po::value(&o.duration), "seconds measured per run [0.5, quick: 0.3]")
        ("warmup", po::value(&o.warmup), "seconds of warm-up per run [0.15, quick: 0.1]")
        ("out,o", po::value(&o.out_dir)->default_value(o.out_dir), "directory for the report, data and plots")
        ("backends", po::value<std::vector<std::string>>(&a.backends)->multitoken(),
         "echomux backends [all that echomux --version lists]")
        ("idle-sweep", po::value<std::vector<int>>(&o.idle_sweep)->multitoken(),
         "idle connections next to ping-pong 64 B x 50 [0 100 1000 10000 50000, quick: 0 1000; capped to fit "
         "RLIMIT_NOFILE]")
        ("rate-sweep", po::value<std::vector<double>>(&o.rate_fractions)->multitoken(),
         "open-loop rates, as fractions of each server's saturation [0.1 0.25 0.5 0.75 0.9 1 1.1, quick: 0.5 1]")
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

// False when --help was asked for (and printed): then nothing else is checked.
bool parse(const po::options_description& desc, const std::vector<std::string>& args, po::variables_map& vm,
           const char* synopsis, const char* what) {
    // No positional arguments: a stray word is a mistake, not something to ignore.
    po::store(po::command_line_parser(args).options(desc).positional({}).run(), vm);
    if (vm.count("help")) {
        std::cout << "Usage: " << synopsis << "\n" << what << "\n\n" << echomux::tools::options_help("Options", desc);
        return false;
    }
    po::notify(vm);
    return true;
}

int run_command(const std::vector<std::string>& args) {
    RunArgs a;
    Workload& w = a.w;
    po::variables_map vm;
    if (!parse(run_options(a), args, vm, kRunSynopsis, kRunWhat)) return 0;
    if (a.workload != "pingpong" && a.workload != "stream" && a.workload != "udp")
        throw po::error("--workload must be pingpong, stream or udp");
    w.kind = a.workload == "stream" ? Workload::Kind::stream
             : a.workload == "udp"  ? Workload::Kind::udp
                                    : Workload::Kind::pingpong;
    const auto m = echomux::parse_mode(a.mode);
    if (!m || *m == echomux::Mode::prefix) throw po::error("--mode must be echo or upper");
    w.mode = *m;
    if (w.port < 1 || w.port > 65535) throw po::error("--port must be from 1 to 65535");
    pin_to_cpu(a.cpu);
    w.progress = !vm.count("json") && ::isatty(STDERR_FILENO);
    if (vm.count("json") && vm.count("csv")) throw po::error("--json and --csv cannot be used together");
    const Result r = w.kind == Workload::Kind::udp ? run_udp_load(w) : run_load(w);
    if (vm.count("json"))
        std::cout << run_json(w, r, with_command("run", args)) << "\n";
    else if (vm.count("csv"))
        std::cout << csv_header() << csv_line({w.host + ":" + std::to_string(w.port), describe(w), 1}, w, r);
    else
        std::cout << human_report(w, r);
    if (!a.hgrm.empty()) write_hgrm(a.hgrm, r.latency);
    if (r.errors > 0) {
        std::cerr << "echomux-bench: " << r.errors << " error(s): the server did not echo correctly\n";
        return 1;
    }
    return 0;
}

int compare_command(const std::vector<std::string>& args) {
    CompareArgs a;
    CompareOptions& o = a.o;
    o.echomux = sibling("echomux");
    o.reference = sibling("echomux-reference-server");
    po::variables_map vm;
    if (!parse(compare_options(a), args, vm, kCompareSynopsis, kCompareWhat)) return 0;
    o.quick = vm.count("quick") > 0;
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
    o.arguments = with_command("compare", args);
    o.command_line = "echomux-bench compare";
    for (const auto& arg : args) o.command_line += " " + arg;
    return run_compare(o);
}

// Both commands' options, so the man page made from it lists them all.
std::string overall_help() {
    RunArgs run_args;
    CompareArgs compare_args;
    std::ostringstream out;
    out << "Usage: " << kRunSynopsis << "\n  or:  " << kCompareSynopsis << "\n  or:  " << kProgram
        << " --help|--version\n"
        << "Load generator and benchmark for echo servers. COMMAND --help tells one command.\n"
           "Exit status: 0 ok, 1 a wrong echo, an unreachable or failed server, 2 bad usage.\n\n"
           "Commands:\n"
           "  run       load one echo server, verify every byte, report throughput, latency and CPU\n"
           "  compare   every echomux backend and a reference server side by side, into a report\n\n"
        << echomux::tools::options_help("Options (run)", run_options(run_args)) << "\n"
        << echomux::tools::options_help("Options (compare)", compare_options(compare_args));
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return echomux::tools::usage_error(kProgram, "no command given", kProgram);
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "--help" || command == "-h") {
        std::cout << overall_help();
        return 0;
    }
    if (command == "--version") {
        std::cout << echomux::tools::version_line(kProgram);
        return 0;
    }
    if (command != "run" && command != "compare") {
        const std::string why = command.rfind("-", 0) == 0 ? "the command comes first: run or compare"
                                                           : "unknown command '" + command + "'";
        return echomux::tools::usage_error(kProgram, why, kProgram);
    }
    try {
        return command == "run" ? run_command(args) : compare_command(args);
    } catch (const po::error& e) {
        return echomux::tools::usage_error(kProgram, e.what(), kProgram + " " + command);
    } catch (const std::exception& e) {
        std::cerr << "echomux-bench: " << e.what() << "\n";
        return 1;
    }
}
