// SPDX-License-Identifier: BSL-1.0
// `echomux-bench run`: its options, every check of them (before the first connection), the
// run, and what it prints.
#include "cli.hpp"
#include "csv_report.hpp"
#include "hgrm.hpp"
#include "hlog.hpp"
#include "json_report.hpp"
#include "load.hpp"
#include "metrics_scrape.hpp"
#include "report.hpp"

#include "tools/command_line.hpp"
#include "tools/greeting.hpp"
#include "tools/reply_form.hpp"
#include "tools/tls_options.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

namespace echomux::bench {

const char* const kRunSynopsis =
    "echomux-bench run [--host H] [--port P] [--workload pingpong|stream|udp|handshake] [--mode echo|upper|prefix] [--tls] "
    "[OPTION...]";

namespace {

const char* const kRunWhat =
    "Loads one echo server (plaintext, or TLS with --tls) with ping-pong or streaming connections, an\n"
    "open-loop --rate, connection churn (--connect-rate, or --workload handshake) or UDP datagrams, verifies every byte that comes back (after the window,\n"
    "each connection must get back all it sent: the drain), and reports requests/s, MB/s, latency\n"
    "percentiles and CPU time. Exits 1 on any error, and when the run measured nothing valid (the\n"
    "server stopped answering, no request completed, a window shorter than asked).";
struct RunArgs {
    Workload w;
    std::string workload = "pingpong", mode = "echo";
    std::string cpu, server_pid, sizes;
    std::string greeting = "0";  // --greeting-lines as typed
    std::string hgrm;  // file for the latency distribution
    std::string hlog;  // file for the interval log
    std::string percentiles;
    std::string tls_max_version;
};

po::options_description run_options(RunArgs& a) {
    Workload& w = a.w;
    po::options_description desc;
    desc.add_options()("help,h", "print this help and exit")
        ("host", po::value(&w.host)->default_value(w.host),
         "server name or address: localhost, 127.0.0.1, ::1 (TCP: each address of a name tried in turn)")
        ("port,p", po::value(&w.port)->default_value(w.port), "server port")
        ("workload,w", po::value(&a.workload)->default_value(a.workload),
         "one of: pingpong, stream, udp, handshake (udp: ping-pong of datagrams, loss counted; handshake: "
         "--connections at once, each a new connection, one message, closed, and again: with --tls, handshakes/s "
         "and server CPU per handshake)")
        ("connections,c", po::value(&w.connections)->default_value(w.connections), "active connections (udp: sockets)")
        ("size,s", po::value(&w.size)->default_value(w.size), "bytes per message (stream: per chunk)")
        ("window", po::value(&w.window)->default_value(w.window), "stream: bytes in flight per connection")
        ("idle", po::value(&w.idle)->default_value(w.idle), "idle connections held open alongside")
        ("warmup", po::value(&w.warmup)->default_value(w.warmup), "seconds before measuring")
        ("duration,d", po::value(&w.duration)->default_value(w.duration), "seconds measured")
        ("mode", po::value(&a.mode)->default_value(a.mode),
         "what the server sends back: echo, upper or prefix (each message a line, back after --prefix)")
        ("prefix", po::value(&w.prefix), "mode prefix: the server's prefix as it sends it (placeholders expanded)")
        ("greeting-lines", po::value(&a.greeting)->default_value(a.greeting),
         "lines the server sends on connect (its greeting), read before the load; auto: found by a probe line "
         "on the first connection (whatever comes before its echo is the greeting)")
        ("timeout", po::value(&w.timeout)->default_value(w.timeout), "udp: seconds before a datagram counts as lost")
        ("sizes", po::value(&a.sizes), "mixed sizes, e.g. 64,512,4096: each message's size drawn from these")
        ("rate", po::value(&w.rate), "open loop: total requests/s over all connections, latency from the intended "
                                     "send time (coordinated omission corrected); pingpong only")
        ("threads,t", po::value(&w.threads)->default_value(w.threads), "load loops, connections spread over them")
        ("connect-rate", po::value(&w.connect_rate),
         "churn: new connections/s, each sends one message, checks the reply and closes")
        ("interval", po::value(&w.interval), "print rate, errors and p99 every this many seconds (stderr)")
        ("drain-timeout", po::value(&w.drain_timeout)->default_value(w.drain_timeout),
         "seconds after the window for every byte sent to come back")
        ("stall-timeout", po::value(&w.stall_timeout)->default_value(w.stall_timeout),
         "seconds with no reply while requests are out before the run is declared invalid")
        ("server-pid", po::value(&a.server_pid), "measure this local process's CPU (all threads) and RSS")
        ("metrics-url", po::value(&w.metrics_url),
         "measure the server's CPU from its /metrics (process_cpu_seconds_total), e.g. http://host:9100/metrics")
        ("cpu", po::value(&a.cpu), "pin the load loops: one CPU, or a list (0,1), loop i on the i-th")
        ("json", "print JSON instead of a table (docs/bench-result.schema.json)")
        ("csv", "print CSV instead of a table: a header line and one line for the run")
        ("hgrm", po::value(&a.hgrm), "also write the latency distribution to this file (HdrHistogram .hgrm, us)")
        ("hlog", po::value(&a.hlog),
         "also write HdrHistogram's interval log to this file (.hlog: one histogram per --interval, or one for "
         "the window), which HdrHistogram's tools merge across generators")
        ("percentiles", po::value(&a.percentiles),
         "latency percentiles to show, e.g. 50,90,95,99,99.9,99.99 [50,90,95,99,99.9]; max is always shown");
    // Every handshake a full one: the client keeps no session to resume.
    tools::add_tls_options(desc, w.tls, a.tls_max_version);
    return desc;
}

// Everything about `run`'s options that one option alone cannot say.
void check_run_args(RunArgs& a, const po::variables_map& vm) {
    Workload& w = a.w;
    if (w.port < 1 || w.port > 65535) throw po::error("--port must be from 1 to 65535");
    if (w.connections < 1) throw po::error("--connections must be at least 1");
    if (w.size < 1 || w.size > (64u << 20)) throw po::error("--size must be from 1 to 67108864");
    if (w.idle < 0) throw po::error("--idle must be 0 or more");
    if (!(w.duration > 0) || w.duration > 86400) throw po::error("--duration must be above 0 (and at most 86400)");
    if (!(w.warmup >= 0) || w.warmup > 3600) throw po::error("--warmup must be from 0 to 3600");
    if (!(w.drain_timeout >= 0) || w.drain_timeout > 3600) throw po::error("--drain-timeout must be from 0 to 3600");
    if (!(w.stall_timeout > 0)) throw po::error("--stall-timeout must be above 0");
    if (w.threads < 1 || w.threads > 256) throw po::error("--threads must be from 1 to 256");
    if (vm.count("server-pid")) {
        // `--server-pid "$(pgrep -x echomux)"` with two servers running gives "12 34":
        // measuring the first would report another server's cost.
        const std::string& pid = a.server_pid;
        if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos || pid == "0")
            throw po::error("--server-pid takes one PID; got '" + pid + "'");
        w.server_pid = std::stoi(pid);
    }
    if (w.server_pid > 0 && !w.metrics_url.empty()) throw po::error("--server-pid and --metrics-url: give one");
    if (!w.metrics_url.empty()) try {
            MetricsScrape check(w.metrics_url);
        } catch (const std::runtime_error& e) {
            throw po::error(e.what());
        }
    if (vm.count("cpu")) {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        ::sched_getaffinity(0, sizeof allowed, &allowed);
        for (long cpu : number_list(a.cpu, "--cpu")) {
            // A CPU we may not run on would leave the loop unpinned without a word.
            if (cpu >= CPU_SETSIZE || !CPU_ISSET(static_cast<int>(cpu), &allowed))
                throw po::error("--cpu " + std::to_string(cpu) + ": not a CPU this process may run on");
            w.cpus.push_back(static_cast<int>(cpu));
        }
    }
    if (vm.count("sizes")) {
        for (long size : number_list(a.sizes, "--sizes")) {
            if (size < 1 || size > (64 << 20)) throw po::error("--sizes: each size must be from 1 to 67108864");
            w.sizes.push_back(static_cast<std::size_t>(size));
        }
        w.size = *std::max_element(w.sizes.begin(), w.sizes.end());
    }
    if (vm.count("rate") && !(w.rate > 0)) throw po::error("--rate must be above 0");
    if (vm.count("connect-rate") && !(w.connect_rate > 0)) throw po::error("--connect-rate must be above 0");
    if (w.rate > 0 && w.kind != Workload::Kind::pingpong) throw po::error("--rate goes with --workload pingpong");
    if (w.connect_rate > 0 && (w.kind != Workload::Kind::pingpong || w.rate > 0 || !w.sizes.empty()))
        throw po::error("--connect-rate is a workload of its own: not with --workload stream/udp, --rate or --sizes");
    if (w.kind == Workload::Kind::udp && (w.threads > 1 || !w.sizes.empty() || w.interval > 0))
        throw po::error("--workload udp: no --threads, --sizes or --interval yet");
    if (w.kind == Workload::Kind::udp && (!w.greeting_lines || *w.greeting_lines > 0))
        throw po::error("--greeting-lines goes with TCP workloads (UDP has no greeting)");
    if (w.kind == Workload::Kind::udp && w.prefix.size() + w.size > 65507)
        throw po::error("--workload udp: --prefix and --size together must fit a datagram (65507 bytes)");
    if (w.mode == Mode::prefix && !w.sizes.empty())
        throw po::error("--mode prefix: one --size (each message is one line of that size), not --sizes");
    if (w.tls.enabled && w.kind == Workload::Kind::udp) throw po::error("--tls: no TLS over UDP (echomux serves no DTLS)");
    if (w.handshake && (w.rate > 0 || w.connect_rate > 0 || !w.sizes.empty() || w.idle > 0 || vm.count("interval")))
        throw po::error("--workload handshake: no --rate, --connect-rate, --sizes, --idle or --interval");
    if (w.handshake && w.connections > 1000) throw po::error("--workload handshake: at most 1000 --connections");
    if (vm.count("interval")) {
        if (!(w.interval > 0)) throw po::error("--interval must be above 0");
        if (w.duration / w.interval > 1000) throw po::error("--interval: at most 1000 intervals per --duration");
        if (w.connect_rate > 0) throw po::error("--interval does not go with --connect-rate yet");
    }
}

// "50,99.9" -> {50, 99.9}; each above 0, at most 100.
std::vector<double> percentile_list(const std::string& text) {
    std::vector<double> list;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        std::size_t used = 0;
        double p = -1;
        try {
            p = std::stod(item, &used);
        } catch (const std::exception&) {
        }
        if (used != item.size() || !(p > 0 && p <= 100) || list.size() == 32)
            throw po::error("--percentiles takes up to 32 numbers above 0 and at most 100, separated by commas; got '" +
                            text + "'");
        list.push_back(p);
    }
    if (list.empty()) throw po::error("--percentiles takes numbers separated by commas; got '" + text + "'");
    return list;
}

// The --interval histograms, or the window's as one interval.
std::vector<LoggedInterval> logged_intervals(const Result& r) {
    std::vector<LoggedInterval> list;
    for (const auto& i : r.intervals) list.push_back({i.start, i.seconds, i.latency});
    if (list.empty()) list.push_back({0, r.seconds, r.latency});
    return list;
}

// What the human report says of TLS and of the handshake workload.
std::string tls_lines(const Workload& w, const Result& r) {
    std::ostringstream out;
    if (!r.tls.empty()) out << "tls          " << r.tls << ", every handshake a full one (no session resumption)\n";
    if (w.handshake && r.seconds > 0) {
        out << "handshakes   " << r.requests << " (" << static_cast<long long>(r.requests / r.seconds)
            << "/s), each with one message";
        if (r.server_us_per_request() >= 0)
            out << "; server CPU " << format("%.1f", r.server_us_per_request()) << " us per connection (accept, handshake, echo, close)";
        out << "\n";
    }
    return out.str();
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    RunArgs a;
    Workload& w = a.w;
    po::variables_map vm;
    if (!parse(run_options(a), args, vm, kRunSynopsis, kRunWhat)) return 0;
    if (a.workload != "pingpong" && a.workload != "stream" && a.workload != "udp" && a.workload != "handshake")
        throw po::error("--workload must be pingpong, stream, udp or handshake");
    w.handshake = a.workload == "handshake";  // a ping-pong of one message per connection
    w.kind = a.workload == "stream" ? Workload::Kind::stream
             : a.workload == "udp"  ? Workload::Kind::udp
                                    : Workload::Kind::pingpong;
    const auto m = echomux::parse_mode(a.mode);
    if (!m) throw po::error("--mode must be echo, upper or prefix");
    w.mode = *m;
    if (const std::string why = tools::mode_and_prefix_mistake(w.mode, vm.count("prefix") > 0); !why.empty())
        throw po::error(why);
    try {
        w.greeting_lines = tools::parse_greeting_lines(a.greeting);
    } catch (const std::invalid_argument& e) {
        throw po::error(e.what());
    }
    check_run_args(a, vm);
    tools::check_tls_options(vm, w.tls, a.tls_max_version);
    if (!a.hgrm.empty()) check_writable("--hgrm", a.hgrm);
    if (!a.hlog.empty()) check_writable("--hlog", a.hlog);
    if (vm.count("percentiles")) w.percentiles = percentile_list(a.percentiles);
    w.progress = !vm.count("json") && ::isatty(STDERR_FILENO);
    if (vm.count("json") && vm.count("csv")) throw po::error("--json and --csv cannot be used together");
    const Result r = w.kind == Workload::Kind::udp ? run_udp_load(w) : run_load(w);
    if (vm.count("json"))
        std::cout << run_json(w, r, with_command("run", args)) << "\n";
    else if (vm.count("csv"))
        std::cout << csv_header() << csv_line({w.host + ":" + std::to_string(w.port), describe(w), 1}, w, r);
    else
        std::cout << human_report(w, r) << tls_lines(w, r);
    if (!a.hgrm.empty()) write_hgrm(a.hgrm, r.latency);
    if (!a.hlog.empty()) write_hlog(a.hlog, logged_intervals(r), r.window_start_time);
    for (const auto& note : r.notes) std::cerr << "echomux-bench: note: " << note << "\n";
    // The whole run, to hold against the server's own counters.
    if (w.kind != Workload::Kind::udp) std::cerr << "echomux-bench: whole run (warm-up, window, drain): " << r.total_requests << " requests, "
              << r.total_sent_bytes << " bytes sent, " << r.total_received_bytes << " echoed back";
    if (w.kind != Workload::Kind::udp) std::cerr << ", " << r.total_connects << " connections";
    if (w.kind != Workload::Kind::udp) std::cerr << "\n";
    int status = 0;
    if (r.errors > 0) {
        std::cerr << "echomux-bench: " << r.errors << " error(s): the server did not echo correctly";
        if (r.drain_missing_bytes > 0) std::cerr << " (" << r.drain_missing_bytes << " bytes never came back)";
        std::cerr << "\n";
        status = 1;
    }
    for (const auto& why : r.invalid) {
        std::cerr << "echomux-bench: not a valid measurement: " << why << "\n";
        status = 1;
    }
    return status;
}

std::string run_options_help() {
    RunArgs a;
    return tools::options_help("Options (run)", run_options(a));
}

}  // namespace echomux::bench
