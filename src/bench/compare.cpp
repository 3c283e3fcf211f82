#include "compare.hpp"

#include "load.hpp"
#include "report.hpp"

#include "echomux/fd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace echomux::bench {
namespace {

struct Cell {
    std::string id;
    Workload workload;
};

struct ServerSpec {
    std::string name;
    std::vector<std::string> argv;  // "{port}" is replaced
};

void pin_to_cpu(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

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

std::string machine_description() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, model = "unknown CPU";
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    utsname u{};
    ::uname(&u);
    std::ostringstream out;
    out << model << ", " << std::thread::hardware_concurrency() << " CPUs, Linux " << u.release;
    return out.str();
}

std::string today() {
    const std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    return text;
}

using Results = std::map<std::string, std::map<std::string, Result>>;  // server -> cell -> median

const Result* find(const Results& results, const std::string& server, const std::string& cell) {
    auto s = results.find(server);
    if (s == results.end()) return nullptr;
    auto c = s->second.find(cell);
    return c == s->second.end() ? nullptr : &c->second;
}

void write_plots(const CompareOptions& o, const std::vector<ServerSpec>& specs, const std::vector<Cell>& cells,
                 const Results& results) {
    const std::string dir = o.out_dir + "/";
    std::vector<std::string> pingpong_cells;
    for (const auto& c : cells)
        if (c.workload.kind == Workload::Kind::pingpong && c.workload.idle == 0) pingpong_cells.push_back(c.id);
    {
        std::ofstream rps(dir + "requests.dat"), cpu(dir + "cpu.dat"), lat(dir + "latency.dat");
        rps << "server";
        cpu << "server";
        for (const auto& id : pingpong_cells) rps << " " << id, cpu << " " << id;
        rps << "\n";
        cpu << "\n";
        lat << "server p50 p90 p99 p99.9\n";
        for (const auto& s : specs) {
            rps << s.name;
            cpu << s.name;
            for (const auto& id : pingpong_cells) {
                const Result* r = find(results, s.name, id);
                rps << " " << (r ? r->requests_per_second() : 0);
                cpu << " " << (r ? r->server_us_per_request() : 0);
            }
            rps << "\n";
            cpu << "\n";
            if (const Result* r = find(results, s.name, "pingpong-64B-50c"))
                lat << s.name << " " << r->latency.percentile(0.5) / 1e3 << " " << r->latency.percentile(0.9) / 1e3
                    << " " << r->latency.percentile(0.99) / 1e3 << " " << r->latency.percentile(0.999) / 1e3 << "\n";
        }
        std::ofstream idle(dir + "idle.dat");
        idle << "idle";
        for (const auto& s : specs) idle << " " << s.name << "_rps " << s.name;
        idle << "\n";
        for (const auto& c : cells) {
            if (c.workload.kind != Workload::Kind::pingpong || c.workload.connections != 50) continue;
            idle << c.workload.idle;
            for (const auto& s : specs) {
                const Result* r = find(results, s.name, c.id);
                idle << " " << (r ? r->requests_per_second() : 0) << " " << (r ? r->server_us_per_request() : 0);
            }
            idle << "\n";
        }
    }
    std::ofstream gp(dir + "plots.gp");
    gp << "set terminal pngcairo size 960,540 font 'sans,10' noenhanced\nset yrange [0:*]\n"
       << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
       << "set key outside right\nset grid ytics\nset xtics rotate by -20\n"
       << "set output '" << dir << "requests.png'\nset title 'Ping-pong 64 B: requests per second (higher is better)'\n"
       << "set ylabel 'req/s'\nplot for [i=2:" << pingpong_cells.size() + 1 << "] '" << dir
       << "requests.dat' using i:xtic(1) title columnheader(i)\n"
       << "set output '" << dir << "cpu.png'\nset title 'Ping-pong 64 B: server CPU per request (lower is better)'\n"
       << "set ylabel 'server CPU us / request'\nplot for [i=2:" << pingpong_cells.size() + 1 << "] '" << dir
       << "cpu.dat' using i:xtic(1) title columnheader(i)\n"
       << "set output '" << dir << "latency.png'\nset title 'Ping-pong 64 B x 50 connections: latency percentiles'\n"
       << "set ylabel 'us'\nset logscale y\nset yrange [*:*]\nplot for [i=2:5] '" << dir
       << "latency.dat' using i:xtic(1) title columnheader(i)\nunset logscale y\nset yrange [0:*]\n"
       << "set style data linespoints\nset xtics norotate\nset xlabel 'idle connections held open'\n"
       << "set output '" << dir << "idle.png'\nset title 'Ping-pong 64 B x 50 with idle connections: server CPU per request'\n"
       << "set ylabel 'server CPU us / request'\nplot for [i=0:" << specs.size() - 1 << "] '" << dir
       << "idle.dat' using 1:(column(3+2*i)) title columnheader(3+2*i)\n";
    gp.close();
    const std::string command = "gnuplot '" + dir + "plots.gp'";
    if (std::system(command.c_str()) != 0) std::cerr << "echomux-bench: gnuplot failed; plots not written\n";
}

void write_report(const CompareOptions& o, const std::vector<ServerSpec>& specs, const std::vector<Cell>& cells,
                  const Results& results) {
    std::ofstream md(o.out_dir + "/report.md");
    md << "# echomux backend comparison\n\n"
       << "- date: " << today() << "\n- machine: " << machine_description() << "\n"
       << "- command: `" << o.command_line << "`\n"
       << "- servers pinned to CPU " << o.server_cpu << ", load generator to CPU " << o.client_cpu
       << "; each cell is the median (by req/s) of " << o.repeats << " run(s) of " << o.duration
       << " s after " << o.warmup << " s warm-up\n"
       << "- server CPU is all the server's threads' run time (from /proc/PID/task/*/schedstat) during the "
          "measured window\n\n";
    for (const auto& c : cells) {
        md << "## " << describe(c.workload) << "\n\n"
           << "| server | req/s | MB/s echoed | p50 | p90 | p99 | p99.9 | max | server CPU us/req | server CPU % "
              "| client CPU % | server RSS MiB | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& s : specs) {
            const Result* r = find(results, s.name, c.id);
            if (!r) {
                md << "| " << s.name << " | failed |||||||||||| |\n";
                continue;
            }
            char line[512];
            std::snprintf(line, sizeof line, "| %s | %.0f | %.1f | %s | %s | %s | %s | %s | %.2f | %.0f | %.0f | %.1f | %llu |\n",
                          s.name.c_str(), r->requests_per_second(), r->megabytes_per_second(),
                          format_ns(r->latency.percentile(0.5)).c_str(), format_ns(r->latency.percentile(0.9)).c_str(),
                          format_ns(r->latency.percentile(0.99)).c_str(),
                          format_ns(r->latency.percentile(0.999)).c_str(), format_ns(r->latency.max()).c_str(),
                          r->server_us_per_request(), 100 * r->server_cpu_seconds / r->seconds,
                          100 * r->client_cpu_seconds / r->seconds, r->server_rss_kib / 1024.0,
                          static_cast<unsigned long long>(r->errors));
            md << line;
        }
        md << "\n";
    }
    md << "## Targets\n\n";
    const Result* reference = find(results, "reference-c-epoll", "pingpong-64B-50c");
    for (const auto& b : o.backends) {
        const Result* r = find(results, b, "pingpong-64B-50c");
        if (r && reference && reference->server_us_per_request() > 0) {
            const double ratio = r->server_us_per_request() / reference->server_us_per_request();
            char line[256];
            std::snprintf(line, sizeof line,
                          "- %s: server CPU per request at ping-pong 64 B x 50 is %.2fx the reference C epoll "
                          "loop's (%.2f vs %.2f us): %s\n",
                          b.c_str(), ratio, r->server_us_per_request(), reference->server_us_per_request(),
                          ratio <= 1.0 ? "within 1.0x" : "above 1.0x");
            md << line;
        }
    }
    for (const auto& b : {"epoll-level", "epoll-edge"}) {
        if (const Result* r = find(results, b, "stream-16KiB-50c")) {
            char line[256];
            std::snprintf(line, sizeof line,
                          "- %s: stream 16 KiB x 50 echoes %.2f GB/s back (%.2f GB/s through the server, in + out)\n",
                          b, r->megabytes_per_second() / 1e3, 2 * r->megabytes_per_second() / 1e3);
            md << line;
        }
    }
    const std::string idle_cell = o.quick ? "pingpong-64B-50c-1000idle" : "pingpong-64B-50c-10000idle";
    for (const auto& b : {"epoll-level", "epoll-edge", "asio", "poll", "select"}) {
        const Result* base = find(results, b, "pingpong-64B-50c");
        const Result* idle = find(results, b, idle_cell);
        if (base && idle && base->requests_per_second() > 0) {
            char line[256];
            std::snprintf(line, sizeof line, "- %s with %s: req/s is %.2fx that without idle connections; server RSS %.1f MiB\n",
                          b, idle_cell.c_str(), idle->requests_per_second() / base->requests_per_second(),
                          idle->server_rss_kib / 1024.0);
            md << line;
        }
    }
    md << "\n## Plots\n\n![requests per second](requests.png)\n\n![server CPU per request](cpu.png)\n\n"
       << "![latency percentiles](latency.png)\n\n![cost of idle connections](idle.png)\n";
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
