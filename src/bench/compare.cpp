// SPDX-License-Identifier: BSL-1.0
#include "compare.hpp"

#include "load.hpp"
#include "compare_report.hpp"
#include "report.hpp"

#include "echomux/fd.hpp"

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
#include <chrono>
#include <fstream>
#include <memory>
#include <iostream>
#include <map>
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
    RunningServer(const ServerSpec& spec, int cpu, const std::string& log_path) : port_(free_port()) {
        std::vector<std::string> args;
        for (std::string a : spec.argv) {
            for (auto at = a.find("{port}"); at != std::string::npos; at = a.find("{port}"))
                a.replace(at, 6, std::to_string(port_));
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
        for (int i = 0; i < 250 && !accepts_connections(port_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!accepts_connections(port_)) {
            stop();
            throw std::runtime_error(spec.name + " did not start; see " + log_path);
        }
    }
    ~RunningServer() { stop(); }
    int port() const { return port_; }
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
    int port_;
    pid_t pid_ = -1;
};

std::vector<Cell> matrix(const CompareOptions& o) {
    auto cell = [&](std::string id, Workload::Kind kind, std::size_t size, int connections, int idle) {
        Workload w;
        w.kind = kind;
        w.size = size;
        w.connections = connections;
        w.idle = idle;
        w.duration = o.duration;
        w.warmup = o.warmup;
        return Cell{std::move(id), w};
    };
    using K = Workload::Kind;
    if (o.quick)
        return {cell("pingpong-64B-50c", K::pingpong, 64, 50, 0), cell("stream-16KiB-50c", K::stream, 16384, 50, 0),
                cell("pingpong-64B-50c-1000idle", K::pingpong, 64, 50, 1000)};
    return {cell("pingpong-64B-1c", K::pingpong, 64, 1, 0),
            cell("pingpong-64B-50c", K::pingpong, 64, 50, 0),
            cell("pingpong-64B-500c", K::pingpong, 64, 500, 0),
            cell("stream-16KiB-50c", K::stream, 16384, 50, 0),
            cell("pingpong-64B-50c-1000idle", K::pingpong, 64, 50, 1000),
            cell("pingpong-64B-50c-10000idle", K::pingpong, 64, 50, 10000)};
}

std::vector<ServerSpec> servers(const CompareOptions& o) {
    std::vector<ServerSpec> list;
    for (const auto& b : o.backends) {
        std::vector<std::string> argv = {o.echomux, "--listen=127.0.0.1", "--port={port}", "--log-level=warn",
                                         "--idle-timeout=0", "--max-connections=100000"};
        if (b == "epoll-level" || b == "epoll-edge") {
            argv.push_back("--backend=epoll");
            argv.push_back(b == "epoll-edge" ? "--epoll-mode=edge" : "--epoll-mode=level");
        } else {
            argv.push_back("--backend=" + b);
        }
        list.push_back({b, argv});
    }
    if (!o.reference.empty()) list.push_back({"reference-c-epoll", {o.reference, "{port}"}});
    for (const auto& [name, command] : o.external) list.push_back({name, {"/bin/sh", "-c", "exec " + command}});
    return list;
}

}  // namespace

int run_compare(const CompareOptions& o) {
    ::mkdir(o.out_dir.c_str(), 0755);
    pin_to_cpu(o.client_cpu);
    const auto cells = matrix(o);
    const auto specs = servers(o);
    bool failed = false;
    // All servers run for the whole comparison (an idle one costs nothing), and every
    // repeat of a cell visits them in turn: the machine's noise then lands on all of them
    // alike instead of on whichever ran during a bad minute.
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
    std::ofstream json(o.out_dir + "/results.json");
    json << "[\n";
    bool first = true;
    for (const auto& cell : cells) {
        std::vector<std::vector<Result>> runs(specs.size());
        for (int repeat = 0; repeat < o.repeats; ++repeat)
            for (std::size_t s = 0; s < specs.size(); ++s) {
                if (!running[s]) continue;
                Workload w = cell.workload;
                w.port = running[s]->port();
                w.server_pid = running[s]->pid();
                try {
                    runs[s].push_back(run_load(w));
                    failed = failed || runs[s].back().errors > 0;
                } catch (const std::exception& e) {
                    std::cerr << "echomux-bench: " << specs[s].name << " " << cell.id << ": " << e.what() << "\n";
                    failed = true;
                }
            }
        for (std::size_t s = 0; s < specs.size(); ++s) {
            if (runs[s].empty()) continue;
            std::sort(runs[s].begin(), runs[s].end(), [](const Result& a, const Result& b) {
                return a.requests_per_second() < b.requests_per_second();
            });
            const Result& median = runs[s][runs[s].size() / 2];
            results[specs[s].name][cell.id] = median;
            std::cerr << specs[s].name << " " << cell.id << ": " << static_cast<long long>(median.requests_per_second())
                      << " req/s, " << median.server_us_per_request() << " us/req, errors " << median.errors << "\n";
            json << (first ? "" : ",\n") << "{\"server\":\"" << specs[s].name << "\",\"cell\":\"" << cell.id
                 << "\",\"result\":" << json_report(cell.workload, median) << "}";
            first = false;
        }
    }
    json << "\n]\n";
    json.close();
    running.clear();
    write_report(o, specs, cells, results);
    write_plots(o, specs, cells, results);
    std::cerr << "report: " << o.out_dir << "/report.md\n";
    return failed ? 1 : 0;
}

}  // namespace echomux::bench
