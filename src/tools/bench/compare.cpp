// SPDX-License-Identifier: BSL-1.0
#include "compare.hpp"

#include "compare_plan.hpp"
#include "compare_process_tree.hpp"
#include "compare_report.hpp"
#include "compare_starved.hpp"
#include "load.hpp"
#include "open_files.hpp"
#include "report.hpp"

#include "echomux/util/fd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace echomux::bench {
namespace {


int free_port() {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("cannot find a free port");
    return ntohs(a.sin_port);
}

bool accepts_connections(int port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

// A server under test, pinned to its CPU, stopped (SIGTERM, then SIGKILL) when done.
class RunningServer {
public:
    RunningServer(const ServerSpec& spec, int cpu, const std::string& log_path)
        : port_(spec.plaintext ? free_port() : 0), tls_port_(spec.tls ? free_port() : 0) {
        std::vector<std::string> args;
        for (std::string a : spec.argv) {
            for (const auto& [key, port] : {std::pair{std::string("{port}"), port_}, std::pair{std::string("{tls_port}"), tls_port_}})
                for (auto at = a.find(key); at != std::string::npos; at = a.find(key))
                    a.replace(at, key.size(), std::to_string(port));
            args.push_back(a);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            pin_to_cpu(cpu);
            const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
            ::execvp(argv[0], argv.data());
            ::_exit(127);
        }
        // Up to 5 s for each port it serves.
        for (const int port : {port_, tls_port_}) {
            for (int i = 0; port != 0 && i < 250 && !accepts_connections(port); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (port != 0 && !accepts_connections(port)) {
                stop();
                throw std::runtime_error(spec.name + " did not start; see " + log_path);
            }
        }
    }
    ~RunningServer() { stop(); }
    int port() const { return port_; }
    int tls_port() const { return tls_port_; }
    pid_t pid() const { return pid_; }

private:
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 250; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    int port_, tls_port_;  // 0: not served
    pid_t pid_ = -1;
};

std::string tls_dir(const CompareOptions& o) { return o.out_dir + "/" + kTlsCertDir; }

std::vector<ServerSpec> servers(const CompareOptions& o) {
    std::vector<ServerSpec> list;
    for (const auto& b : o.backends.empty() ? probe_backends(o.echomux) : o.backends)
        list.push_back(echomux_server(o.echomux, b, o.tls ? tls_dir(o) : ""));
    if (!o.reference.empty()) list.push_back({"reference-c-epoll", {o.reference, "{port}"}});
    if (o.tls && !o.tls_reference.empty()) list.push_back(tls_anchor_server(o.tls_reference, tls_dir(o)));
    for (const auto& [name, command] : o.external) list.push_back({name, {"/bin/sh", "-c", "exec " + command}});
    return list;
}

long ephemeral_ports() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    long low = 0, high = 0;
    if (range >> low >> high && high >= low) return high - low + 1;
    return 28232;  // Linux's default range, 32768-60999
}

std::string one_line(const std::string& server, const Cell& cell, const CellRuns& runs) {
    std::ostringstream out;
    out << server << " " << cell.id << ": ";
    if (!runs.error().empty()) return out.str() + "NO FIGURE: " + runs.error();
    char text[256];
    const auto rps = runs["requests_per_second"];
    std::snprintf(text, sizeof text, "%.0f req/s (%.0f..%.0f over %d valid of %zu)", rps->median, rps->min, rps->max,
                  rps->runs, runs.runs.size());
    out << text;
    if (const auto cpu = runs["server_us_per_request"]) {
        std::snprintf(text, sizeof text, ", server %.2f us/req", cpu->median);
        out << text;
    }
    if (const auto util = runs["server_cpu_percent"]) {
        std::snprintf(text, sizeof text, " at %.0f%% CPU", util->median);
        out << text;
    }
    // What bounded the figures, and why some repeats gave none: said here, not only in report.md.
    std::vector<std::string> said;
    auto say = [&](const std::string& line) {
        if (std::find(said.begin(), said.end(), line) == said.end()) said.push_back(line);
    };
    for (const auto& r : runs.runs) {
        for (const auto& why : r.invalid) say("invalid run: " + why);
        for (const auto& note : r.notes) say("note: " + note);
    }
    for (const auto& line : said) out << "; " << line;
    return out.str();
}

// Set by SIGINT / SIGTERM: the comparison stops after the run in progress and writes what it has.
volatile std::sig_atomic_t stop_asked = 0;
void on_stop_signal(int) { stop_asked = 1; }

// SIGINT and SIGTERM handled for as long as it lives, then as before.
class StopSignals {
public:
    StopSignals() {
        struct sigaction a {};
        a.sa_handler = on_stop_signal;
        ::sigemptyset(&a.sa_mask);
        ::sigaction(SIGINT, &a, &old_int_);
        ::sigaction(SIGTERM, &a, &old_term_);
    }
    ~StopSignals() {
        ::sigaction(SIGINT, &old_int_, nullptr);
        ::sigaction(SIGTERM, &old_term_, nullptr);
    }

private:
    struct sigaction old_int_ {}, old_term_ {};
};

// One run, its server CPU over the server's whole process tree when the server forks: the
// load engine counts the server process's own threads, which in a server with a process per
// connection (or a pool) do almost nothing. The tree is read around the whole run, so its
// CPU is shared out to the window by the window's share of the run's requests.
Result measured_run(const Workload& w) {
    const TreeCpu before = process_tree_cpu(w.server_pid);
    Result r = run_load(w);
    const TreeCpu after = process_tree_cpu(w.server_pid);
    const bool forks = after.processes > 1 || before.processes > 1 || after.descendants > before.descendants;
    if (!forks || before.seconds < 0 || after.seconds < 0) return r;
    if (r.total_requests == 0) {
        r.server_cpu_seconds = -1;
        r.notes.push_back("the server forks: its CPU is not measured (no request in the whole run to share it by)");
        return r;
    }
    const double share = static_cast<double>(r.requests) / static_cast<double>(r.total_requests);
    r.server_cpu_seconds = (after.seconds - before.seconds) * share;
    r.notes.push_back(format("the server forks (%d processes): its CPU is its process tree's over the whole run, "
                             "shared out by the window's %.0f %% of the requests",
                             std::max(before.processes, after.processes), 100 * share));
    return r;
}

// A throwaway CA and certificates for this run's TLS cells (the CA's key too: trust it nowhere).
void make_certificates(const CompareOptions& o) {
    const std::string command = "sh " + shell_quoted(o.tls_certs_script) + " " + shell_quoted(tls_dir(o)) + " >/dev/null";
    const int status = std::system(command.c_str());
    if (status != 0 || ::access((tls_dir(o) + "/server.key").c_str(), R_OK) != 0)
        throw std::runtime_error(o.tls_certs_script + " did not make the TLS certificates in " + tls_dir(o) +
                                 " (it needs the openssl command)");
}

std::string minutes(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    return format("%02ld:%02ld", s / 60, s % 60);
}

}  // namespace

int run_compare(const CompareOptions& o) {
    ::mkdir(o.out_dir.c_str(), 0755);
    pin_to_cpu(o.client_cpu);
    // Raised before the servers start: they inherit it.
    const std::size_t fd_limit = raise_open_files_limit();
    const Plan plan = make_plan(o, static_cast<long>(std::min<std::size_t>(fd_limit, 1L << 30)), ephemeral_ports());
    for (const auto& cap : plan.caps) std::cerr << "echomux-bench: " << cap << "\n";
    if (o.tls) make_certificates(o);
    const auto specs = servers(o);
    bool failed = false;
    // All servers run for the whole comparison (an idle one costs nothing), and every
    // repeat of a cell visits them in turn (A B C A B C ...): the machine's noise then
    // lands on all of them alike instead of on whichever ran during a bad minute.
    std::vector<std::unique_ptr<RunningServer>> running;
    for (const auto& spec : specs) {
        try {
            running.push_back(std::make_unique<RunningServer>(spec, o.server_cpu,
                                                              o.out_dir + "/server-" + spec.name + ".log"));
        } catch (const std::exception& e) {
            std::cerr << "echomux-bench: " << e.what() << "\n";
            running.push_back(nullptr);
            failed = true;
        }
    }
    Results results;
    Comparison comparison{o, specs, plan, results};
    const StopSignals signals;
    stop_asked = 0;
    const auto started = std::chrono::steady_clock::now();
    // Before the first cell ends, the ETA is the plan's: each run's warm-up and window and
    // about half a second to connect, drain and judge it.
    const double planned_run = o.warmup + o.duration + 0.5;
    for (const auto& cell : plan.cells) {
        const std::size_t i = comparison.cells_done;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double per_cell = i > 0 ? elapsed / static_cast<double>(i) : planned_run * o.repeats * specs.size();
        std::cerr << "echomux-bench: cell " << i + 1 << " of " << plan.cells.size() << " (" << cell.id << "), ETA "
                  << minutes(per_cell * static_cast<double>(plan.cells.size() - i)) << "\n";
        std::vector<CellRuns*> runs(specs.size());  // null: the server does not speak the cell's protocol
        for (std::size_t s = 0; s < specs.size(); ++s) {
            if (!serves(specs[s], cell)) continue;
            CellRuns& r = results[specs[s].name][cell.id];
            r.workload = cell.workload;
            runs[s] = &r;
            if (!running[s]) r.not_run = "the server did not start";
            if (cell.group != CellGroup::rate_sweep || !r.not_run.empty()) continue;
            // Each server at fractions of its own saturation: the curve then shows where
            // each one's latency turns up, whatever its peak.
            const auto saturation = results[specs[s].name][kSaturationCell]["requests_per_second"];
            if (!saturation)
                r.not_run = std::string("no saturation figure (") + kSaturationCell + " has no valid run)";
            else
                r.workload.rate = cell.rate_fraction * saturation->median;
        }
        auto run_once = [&](std::size_t s) {
            Workload w = runs[s]->workload;
            w.port = w.tls.enabled ? running[s]->tls_port() : running[s]->port();
            w.server_pid = running[s]->pid();
            try {
                runs[s]->runs.push_back(measured_run(w));
                failed = failed || runs[s]->runs.back().errors > 0;
            } catch (const std::exception& e) {
                // A run that could not start is an invalid run, with its reason.
                Result r;
                r.asked_seconds = w.duration;
                r.invalid.push_back(e.what());
                runs[s]->runs.push_back(std::move(r));
            }
        };
        for (int repeat = 0; repeat < o.repeats && !stop_asked; ++repeat)
            for (std::size_t s = 0; s < specs.size() && !stop_asked; ++s)
                if (runs[s] && runs[s]->not_run.empty()) run_once(s);
        std::vector<CellRuns*> ran;
        for (CellRuns* r : runs)
            if (r) ran.push_back(r);
        mark_starved_runs(ran, cell.group == CellGroup::rate_sweep);
        // A starved run measured the machine's bad moment: each is run once more (and only
        // once, so a server that is always starved still ends), and stays in the report.
        for (std::size_t s = 0; s < specs.size() && !stop_asked; ++s)
            for (int again = runs[s] ? starved_runs(*runs[s]) : 0; again > 0 && !stop_asked; --again) run_once(s);
        mark_starved_runs(ran, cell.group == CellGroup::rate_sweep);
        if (stop_asked) {
            // A cell cut short is not reported: its repeats would not be the ones asked for.
            for (const auto& spec : specs) results[spec.name].erase(cell.id);
            break;
        }
        for (std::size_t s = 0; s < specs.size(); ++s) {
            if (!runs[s]) continue;
            std::cerr << one_line(specs[s].name, cell, *runs[s]) << "\n";
            if (!runs[s]->error().empty()) failed = true;
        }
        ++comparison.cells_done;
        // After every cell, so an interrupted comparison keeps what it measured.
        write_results_json(comparison);
        write_runs_csv(comparison);
        write_report(comparison);
    }
    running.clear();
    comparison.interrupted = stop_asked != 0;
    write_results_json(comparison);
    write_runs_csv(comparison);
    write_hgrm_files(comparison);
    write_report(comparison);
    if (comparison.interrupted) {
        std::cerr << "echomux-bench: interrupted after " << comparison.cells_done << " of " << plan.cells.size()
                  << " cells; report (incomplete): " << o.out_dir << "/report.md\n";
        return 130;
    }
    if (!write_plots(comparison)) std::cerr << "echomux-bench: gnuplot failed; plots not written\n";
    std::cerr << "report: " << o.out_dir << "/report.md (" << minutes(std::chrono::duration<double>(
                                                                 std::chrono::steady_clock::now() - started)
                                                                 .count())
              << ")\n";
    for (const auto& spec : specs)
        for (const auto& cell : plan.cells)
            if (!serves(spec, cell)) continue;
            else if (const auto error = results[spec.name][cell.id].error(); !error.empty())
                std::cerr << "echomux-bench: " << spec.name << " " << cell.id << ": no figure: " << error << "\n";
    return failed ? 1 : 0;
}

}  // namespace echomux::bench
