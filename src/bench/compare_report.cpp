// SPDX-License-Identifier: BSL-1.0
#include "compare_report.hpp"

#include "report.hpp"

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace echomux::bench {
namespace {

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


const Result* find(const Results& results, const std::string& server, const std::string& cell) {
    auto s = results.find(server);
    if (s == results.end()) return nullptr;
    auto c = s->second.find(cell);
    return c == s->second.end() ? nullptr : &c->second;
}

}  // namespace

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


}  // namespace echomux::bench
