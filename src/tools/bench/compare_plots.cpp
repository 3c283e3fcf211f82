// SPDX-License-Identifier: BSL-1.0
// compare's plots: a data file per figure, plots.gp, and the PNGs gnuplot draws from them.
#include "compare_report.hpp"

#include "report.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace echomux::bench {
namespace {

// A plot value: gnuplot reads '?' as missing (set datafile missing '?') and leaves a gap.
std::string plotted(const std::optional<Spread>& s, double scale = 1) {
    if (!s) return "? ? ?";
    return format("%g %g %g", s->median * scale, s->min * scale, s->max * scale);
}

std::string quoted_for_gnuplot(const std::string& text) {
    std::string q = "'";
    for (char c : text) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
}

}  // namespace

bool write_plots(const Comparison& c) {
    const std::string dir = c.options.out_dir + "/";
    auto cells_of = [&](auto keep) {
        std::vector<const Cell*> list;
        for (const auto& cell : c.plan.cells)
            if (keep(cell)) list.push_back(&cell);
        return list;
    };
    const auto pingpong = cells_of([](const Cell& cell) {
        return cell.group == CellGroup::matrix && cell.workload.kind == Workload::Kind::pingpong;
    });
    const auto idle = cells_of([](const Cell& cell) {
        return cell.id == kSaturationCell || cell.group == CellGroup::idle_sweep;
    });
    const auto rates = cells_of([](const Cell& cell) { return cell.group == CellGroup::rate_sweep; });

    // Bar charts: one row per server, a (median, min, max) triple per cell.
    auto bars = [&](const std::string& file, const char* key) {
        std::ofstream dat(dir + file);
        // A comment, not a header row: gnuplot would count a header as a row and draw the
        // error bars one cluster to the left of their bars.
        dat << "# server";
        for (const Cell* cell : pingpong) dat << " " << cell->id << " min max";
        dat << "\n";
        for (const auto& s : c.servers) {
            dat << s.name;
            for (const Cell* cell : pingpong) {
                dat << " " << plotted(c.spread(s.name, cell->id, key));
            }
            dat << "\n";
        }
    };
    bars("requests.dat", "requests_per_second");
    bars("cpu.dat", "server_us_per_request");
    {
        std::ofstream lat(dir + "latency.dat");
        lat << "# server p50 min max p90 min max p99 min max p99.9 min max\n";
        for (const auto& s : c.servers) {
            lat << s.name;
            for (const char* key : {"latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p99_9_us"})
                lat << " " << plotted(c.spread(s.name, kSaturationCell, key));
            lat << "\n";
        }
        // Idle sweep: one block per server (x = idle connections, 0 drawn at 1 on the log axis).
        std::ofstream dat(dir + "idle.dat");
        for (const auto& s : c.servers) {
            dat << "# " << s.name << "\n";
            for (const Cell* cell : idle) {
                dat << std::max(cell->workload.idle, 1) << " "
                    << plotted(c.spread(s.name, cell->id, "server_us_per_request")) << " "
                    << plotted(c.spread(s.name, cell->id, "requests_per_second")) << "\n";
            }
            dat << "\n\n";
        }
        std::ofstream rate(dir + "rate.dat");
        for (const auto& s : c.servers) {
            rate << "# " << s.name << ": achieved req/s, p50 (median min max), p99 (median min max), us\n";
            for (const Cell* cell : rates) {
                const auto rps = c.spread(s.name, cell->id, "requests_per_second");
                rate << (rps ? format("%g", rps->median) : "?") << " "
                     << plotted(c.spread(s.name, cell->id, "latency_p50_us")) << " "
                     << plotted(c.spread(s.name, cell->id, "latency_p99_us")) << "\n";
            }
            rate << "\n\n";
        }
    }
    auto connections_title = [](const Cell* cell) {
        const int n = cell->workload.connections;
        return quoted_for_gnuplot(std::to_string(n) + (n == 1 ? " connection" : " connections"));
    };
    std::ofstream gp(dir + "plots.gp");
    gp << "set terminal pngcairo size 960,540 font 'sans,10' noenhanced\n"
       << "set datafile missing '?'\nset key outside right top box opaque\nset grid ytics\n"
       << "set style data histograms\nset style histogram errorbars gap 1 lw 1\n"
       << "set style fill solid 0.8 border -1\nset xtics rotate by -20\nset yrange [0:*]\n";
    auto bar_plot = [&](const std::string& name, const std::string& title, const std::string& ylabel) {
        gp << "set output '" << dir << name << ".png'\nset title " << quoted_for_gnuplot(title) << "\nset ylabel "
           << quoted_for_gnuplot(ylabel) << "\nplot ";
        for (std::size_t i = 0; i < pingpong.size(); ++i)
            gp << (i ? ", " : "") << "'" << dir << name << ".dat' using " << 2 + 3 * i << ":" << 3 + 3 * i << ":"
               << 4 + 3 * i << (i ? "" : ":xtic(1)") << " title " << connections_title(pingpong[i]);
        gp << "\n";
    };
    if (!pingpong.empty()) {
        bar_plot("requests", "Ping-pong 64 B: requests per second (higher is better)", "req/s");
        bar_plot("cpu", "Ping-pong 64 B: server CPU per request (lower is better)", "server CPU us / request");
    }
    gp << "set output '" << dir << "latency.png'\nset title 'Ping-pong 64 B x 50 connections: latency percentiles'\n"
       << "set ylabel 'us (log scale)'\nset logscale y\nset yrange [*:*]\nplot '" << dir
       << "latency.dat' using 2:3:4:xtic(1) title 'p50', '' using 5:6:7 title 'p90', '' using 8:9:10 title 'p99', "
          "'' using 11:12:13 title 'p99.9'\nunset logscale y\nset yrange [0:*]\n";
    // The idle sweep: log x, as in the OLS 2004 comparison of epoll, poll and select.
    gp << "set style data yerrorlines\nset xtics norotate\nset logscale x\nset xrange [0.7:*]\nset xtics (";
    for (std::size_t i = 0; i < idle.size(); ++i) {
        const int n = idle[i]->workload.idle;
        gp << (i ? ", " : "") << "'" << (n >= 1000 ? std::to_string(n / 1000) + "k" : std::to_string(n)) << "' "
           << std::max(n, 1);
    }
    gp << ")\nset xlabel 'idle connections held open (log scale)'\n";
    auto idle_plot = [&](const std::string& name, const std::string& title, const std::string& ylabel, int column) {
        gp << "set output '" << dir << name << ".png'\nset title " << quoted_for_gnuplot(title) << "\nset ylabel "
           << quoted_for_gnuplot(ylabel) << "\nplot ";
        for (std::size_t i = 0; i < c.servers.size(); ++i)
            gp << (i ? ", " : "") << "'" << dir << "idle.dat' index " << i << " using 1:" << column << ":"
               << column + 1 << ":" << column + 2 << " title " << quoted_for_gnuplot(c.servers[i].name);
        gp << "\n";
    };
    if (!idle.empty()) {
        idle_plot("idle", "Ping-pong 64 B x 50 next to idle connections: server CPU per request (lower is better)",
                  "server CPU us / request", 2);
        idle_plot("idle-rps", "Ping-pong 64 B x 50 next to idle connections: requests per second (higher is better)",
                  "req/s", 5);
    }
    gp << "unset logscale x\nset xrange [*:*]\nset xtics autofreq\nset logscale y\nset yrange [*:*]\n";
    if (!rates.empty()) {
        gp << "set output '" << dir << "rate.png'\n"
           << "set title 'Latency vs offered rate, ping-pong 64 B x 50 (open loop; solid p50, dashed p99)'\n"
           << "set xlabel 'achieved requests per second'\nset ylabel 'latency us (log scale)'\nplot ";
        for (std::size_t i = 0; i < c.servers.size(); ++i)
            gp << (i ? ", " : "") << "'" << dir << "rate.dat' index " << i << " using 1:2:3:4 lc " << i + 1
               << " dt 1 title " << quoted_for_gnuplot(c.servers[i].name + " p50") << ", '' index " << i
               << " using 1:5:6:7 lc " << i + 1 << " dt 2 title " << quoted_for_gnuplot(c.servers[i].name + " p99");
        gp << "\n";
    }
    gp.close();
    const std::string command = "gnuplot '" + dir + "plots.gp' 2>'" + dir + "gnuplot.log'";
    return std::system(command.c_str()) == 0;
}

}  // namespace echomux::bench
