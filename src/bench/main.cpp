// echomux-bench: load generator (`run`) and backend comparison (`compare`).
#include "compare.hpp"
#include "load.hpp"
#include "report.hpp"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <climits>
#include <iostream>

namespace po = boost::program_options;
using namespace echomux::bench;

namespace {

// A binary next to this one (echomux, echomux-reference-server in the build directory).
std::string sibling(const std::string& name) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return name;
    std::string path(self, static_cast<std::size_t>(n));
    return path.substr(0, path.rfind('/') + 1) + name;
}

// False when --help was asked for (and printed).
bool parse(const po::options_description& desc, const std::vector<std::string>& args, po::variables_map& vm) {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
    if (!vm.count("help")) return true;
    std::cout << desc;
    return false;
}

int run_command(const std::vector<std::string>& args) {
    Workload w;
    std::string workload = "pingpong", mode = "echo";
    int cpu = -1;
    po::options_description desc("echomux-bench run [options]");
    desc.add_options()("help,h", "this help")
        ("host", po::value(&w.host)->default_value(w.host), "server address")
        ("port,p", po::value(&w.port)->default_value(w.port), "server port")
        ("workload,w", po::value(&workload)->default_value(workload),
         "one of: pingpong, stream, udp (udp: ping-pong of datagrams, loss counted)")
        ("connections,c", po::value(&w.connections)->default_value(w.connections), "active connections (udp: sockets)")
        ("size,s", po::value(&w.size)->default_value(w.size), "bytes per message (stream: per chunk)")
        ("window", po::value(&w.window)->default_value(w.window), "stream: bytes in flight per connection")
        ("idle", po::value(&w.idle)->default_value(w.idle), "idle connections held open alongside")
        ("warmup", po::value(&w.warmup)->default_value(w.warmup), "seconds before measuring")
        ("duration,d", po::value(&w.duration)->default_value(w.duration), "seconds measured")
        ("mode", po::value(&mode)->default_value(mode), "what the server sends back: echo or upper")
        ("timeout", po::value(&w.timeout)->default_value(w.timeout), "udp: seconds before a datagram counts as lost")
        ("server-pid", po::value(&w.server_pid), "measure this process's CPU and RSS")
        ("cpu", po::value(&cpu), "pin the load generator to this CPU")
        ("json", "print JSON instead of a table");
    po::variables_map vm;
    if (!parse(desc, args, vm)) return 0;
    if (workload != "pingpong" && workload != "stream" && workload != "udp")
        throw po::error("--workload must be pingpong, stream or udp");
    w.kind = workload == "stream" ? Workload::Kind::stream
             : workload == "udp"  ? Workload::Kind::udp
                                  : Workload::Kind::pingpong;
    const auto m = echomux::parse_mode(mode);
    if (!m || *m == echomux::Mode::prefix) throw po::error("--mode must be echo or upper");
    w.mode = *m;
    pin_to_cpu(cpu);
    w.progress = !vm.count("json") && ::isatty(STDERR_FILENO);
    const Result r = w.kind == Workload::Kind::udp ? run_udp_load(w) : run_load(w);
    std::cout << (vm.count("json") ? json_report(w, r) + "\n" : human_report(w, r));
    if (r.errors > 0) {
        std::cerr << "echomux-bench: " << r.errors << " error(s): the server did not echo correctly\n";
        return 1;
    }
    return 0;
}

int compare_command(const std::vector<std::string>& args) {
    CompareOptions o;
    o.echomux = sibling("echomux");
    o.reference = sibling("echomux-reference-server");
    std::vector<std::string> external, backends;
    po::options_description desc("echomux-bench compare [options]");
    desc.add_options()("help,h", "this help")
        ("quick", "a small matrix for smoke tests (under 30 s)")
        ("repeats,r", po::value(&o.repeats), "runs per cell; the median is reported [5, quick: 1]")
        ("duration,d", po::value(&o.duration), "seconds measured per run [0.5, quick: 0.3]")
        ("warmup", po::value(&o.warmup), "seconds of warm-up per run [0.15, quick: 0.1]")
        ("out,o", po::value(&o.out_dir)->default_value(o.out_dir), "directory for report.md, results.json, PNGs")
        ("backends", po::value<std::vector<std::string>>(&backends)->multitoken(),
         "echomux backends [asio epoll-level epoll-edge poll select]")
        ("server", po::value<std::vector<std::string>>(&external),
         "also compare NAME=COMMAND, with {port} in COMMAND (repeatable)")
        ("echomux", po::value(&o.echomux)->default_value(o.echomux), "echomux binary")
        ("reference", po::value(&o.reference)->default_value(o.reference), "reference C epoll server ('' = none)")
        ("server-cpu", po::value(&o.server_cpu)->default_value(o.server_cpu), "CPU for servers (-1: no pinning)")
        ("client-cpu", po::value(&o.client_cpu)->default_value(o.client_cpu), "CPU for the load generator");
    po::variables_map vm;
    if (!parse(desc, args, vm)) return 0;
    o.quick = vm.count("quick") > 0;
    if (o.quick) {
        if (!vm.count("repeats")) o.repeats = 1;
        if (!vm.count("duration")) o.duration = 0.3;
        if (!vm.count("warmup")) o.warmup = 0.1;
    }
    if (o.repeats < 1) throw po::error("--repeats must be at least 1");
    if (!backends.empty()) o.backends = backends;
    for (const auto& e : external) {
        const auto eq = e.find('=');
        if (eq == std::string::npos || e.find("{port}") == std::string::npos)
            throw po::error("--server takes NAME=COMMAND with {port} in COMMAND");
        o.external.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
    o.command_line = "echomux-bench compare";
    for (const auto& a : args) o.command_line += " " + a;
    return run_compare(o);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string usage =
        "usage: echomux-bench run [--host H] [--port P] [--workload pingpong|stream|udp] ... (run --help)\n"
        "       echomux-bench compare [--quick] [--out DIR] ... (compare --help)\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "run") return run_command(args);
        if (command == "compare") return compare_command(args);
        if (command == "--help" || command == "-h") {
            std::cout << usage;
            return 0;
        }
        std::cerr << "echomux-bench: unknown command '" << command << "'\n" << usage;
        return 2;
    } catch (const po::error& e) {
        std::cerr << "echomux-bench: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "echomux-bench: " << e.what() << "\n";
        return 1;
    }
}
