// SPDX-License-Identifier: BSL-1.0
// run_load: connects, starts one LoadLoop per --threads on the run's timeline (warm-up,
// window, drain), watches them from this thread (window CPU, server CPU, --interval lines,
// progress), then merges what they counted (histograms merged, never averaged) and judges
// whether the run measured anything.
#include "load.hpp"

#include "greeter.hpp"
#include "load_loop.hpp"
#include "open_files.hpp"
#include "report.hpp"
#include "server_cost.hpp"
#include "validity.hpp"

#include "echomux/util/fd.hpp"
#include "tools/greeting.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

namespace echomux::bench {
namespace {

constexpr std::uint64_t kSuperviseStepNs = 20'000'000;  // how often the supervisor looks

// An idle connection may have received its greeting, and nothing else; none may have closed.
void check_idle_connections(std::vector<Greeter::Opened>& idle, Result& r) {
    std::vector<pollfd> fds;
    for (const auto& c : idle) fds.push_back({c.stream->fd(), POLLIN | POLLRDHUP, 0});
    if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return;
    std::vector<char> buffer(tools::kMaxGreetingBytes);
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        bool fine = !(fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR));
        if (fine) {
            tools::GreetingSkip greeting(idle[i].greeting_lines);
            const ssize_t n = idle[i].stream->receive(buffer.data(), buffer.size());
            const char* data = buffer.data();
            std::size_t left = n > 0 ? static_cast<std::size_t>(n) : 0;
            fine = n > 0 && greeting.skip(data, left).empty() && left == 0;
        }
        if (fine) continue;
        ++r.errors;
        if (r.error_messages.size() < 5) r.error_messages.push_back("an idle connection was closed or sent data");
    }
}

// Interval i over all loops: counts summed, latency histograms merged.
Interval merged_interval(const std::vector<std::unique_ptr<LoadLoop>>& loops, std::size_t i) {
    Interval sum = loops.front()->interval(i);
    sum.requests = sum.bytes = sum.errors = 0;
    Histogram latency;
    for (const auto& loop : loops) {
        const Interval& part = loop->interval(i);
        sum.requests += part.requests;
        sum.bytes += part.bytes;
        sum.errors += part.errors;
        latency.merge(loop->interval_latency(i));
    }
    sum.p99_ns = latency.percentile(0.99);
    sum.latency = std::move(latency);
    return sum;
}

void print_interval(const Interval& i) {
    std::fprintf(stderr, "interval %7.2f-%-7.2f s  %10.0f req/s  %8.1f MB/s  errors %llu  p99 %s\n", i.start,
                 i.start + i.seconds, i.seconds > 0 ? static_cast<double>(i.requests) / i.seconds : 0,
                 i.seconds > 0 ? static_cast<double>(i.bytes) / i.seconds / 1e6 : 0,
                 static_cast<unsigned long long>(i.errors), i.requests ? format_ns(i.p99_ns).c_str() : "-");
}

void print_progress(const Timeline& t, std::uint64_t now) {
    const double total = static_cast<double>(t.window_end - t.start);
    const double done = std::min(1.0, static_cast<double>(now - t.start) / total);
    const int width = 30, filled = static_cast<int>(width * done);
    std::fprintf(stderr, "\r[%s%s] %3.0f%% %s", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), 100 * done, now >= t.window_start ? "measuring" : "warming up");
}

// While the loops run: the window's CPU figures at its edges, interval lines as soon as every
// loop has closed the interval, and the progress bar.
Result supervise(const Workload& w, const Timeline& t, const std::vector<std::unique_ptr<LoadLoop>>& loops,
                 const std::atomic<std::size_t>& running, ServerCost& server) {
    Result r;
    bool started = false, ended = false;
    double client_cpu_start = 0;
    std::size_t printed = 0;
    const bool progress = w.progress && w.interval <= 0;
    for (;;) {
        const bool done = running.load() == 0;
        const std::uint64_t now = now_ns();
        if (!started && (now >= t.window_start || done)) {
            started = true;
            client_cpu_start = own_cpu_seconds();
            server.start();
        }
        if (started && !ended && (now >= t.window_end || done)) {
            ended = true;
            r.client_cpu_seconds = own_cpu_seconds() - client_cpu_start;
            server.finish(r);
            if (progress) std::fprintf(stderr, "\r%60s\r", "");
        }
        if (w.interval > 0) {
            std::size_t closed = SIZE_MAX;
            for (const auto& loop : loops) closed = std::min(closed, loop->closed_intervals());
            for (; printed < closed; ++printed) print_interval(merged_interval(loops, printed));
        }
        if (done) return r;
        if (progress && !ended) print_progress(t, now);
        std::uint64_t wake = now + kSuperviseStepNs;
        if (!started) wake = std::min(wake, t.window_start);
        else if (!ended) wake = std::min(wake, t.window_end);
        std::this_thread::sleep_for(std::chrono::nanoseconds(wake - now));
    }
}

void merge(const Workload& w, const Timeline& t, const std::vector<std::unique_ptr<LoadLoop>>& loops, Result& r) {
    std::uint64_t ended = t.window_end;
    for (const auto& loop : loops) {
        const Result& part = loop->result();
        r.requests += part.requests;
        r.bytes += part.bytes;
        r.errors += part.errors;
        for (const auto& m : part.error_messages)
            if (r.error_messages.size() < 5) r.error_messages.push_back(m);
        r.latency.merge(part.latency);
        r.uncorrected_latency.merge(part.uncorrected_latency);
        r.drain_missing_bytes += part.drain_missing_bytes;
        r.total_requests += part.total_requests;
        r.total_sent_bytes += part.total_sent_bytes;
        r.total_received_bytes += part.total_received_bytes;
        for (const auto& why : part.invalid) r.invalid.push_back(why);
        ended = std::min(ended, loop->ended_at());
    }
    r.seconds = ended > t.window_start ? static_cast<double>(ended - t.window_start) / 1e9 : 0;
    r.threads = static_cast<int>(loops.size());
    if (w.interval > 0)
        for (std::size_t i = 0; i < loops.front()->closed_intervals(); ++i)
            if (loops.front()->interval(i).start < r.seconds) r.intervals.push_back(merged_interval(loops, i));
}

}  // namespace

const char* kind_name(Workload::Kind kind) {
    switch (kind) {
        case Workload::Kind::pingpong: return "pingpong";
        case Workload::Kind::stream: return "stream";
        case Workload::Kind::udp: return "udp";
    }
    return "?";
}

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Result run_load(const Workload& w) {
    if (w.connections < 1) throw std::runtime_error("connections must be at least 1");
    if (w.size < 1) throw std::runtime_error("size must be at least 1");
    if (w.connect_rate > 0 || w.handshake) return run_churn_load(w);
    ensure_open_files(static_cast<std::size_t>(w.connections), static_cast<std::size_t>(w.idle));
    ServerCost server(w);
    Greeter greeter(w);
    std::vector<Greeter::Opened> idle, active;
    for (int i = 0; i < w.idle; ++i) idle.push_back(greeter.open());
    for (int i = 0; i < w.connections; ++i) active.push_back(greeter.open());

    const Pattern pattern(w.mode, w.prefix, w.size);
    LoopShared shared{w, pattern};
    shared.total_connections = active.size();
    // Connections dealt out in turn-sized blocks: loop i gets connections [first, first + n).
    const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, w.threads)), active.size());
    std::vector<std::unique_ptr<LoadLoop>> loops;
    for (std::size_t i = 0, first = 0; i < threads; ++i) {
        const std::size_t n = active.size() / threads + (i < active.size() % threads ? 1 : 0);
        std::vector<Greeter::Opened> mine;
        for (std::size_t k = first; k < first + n; ++k) mine.push_back(std::move(active[k]));
        loops.push_back(std::make_unique<LoadLoop>(shared, std::move(mine), first));
        first += n;
    }
    Timeline& t = shared.timeline;
    t.start = now_ns();
    t.window_start = t.start + static_cast<std::uint64_t>(w.warmup * 1e9);
    t.window_end = t.window_start + static_cast<std::uint64_t>(w.duration * 1e9);
    t.drain_end = t.window_end + static_cast<std::uint64_t>(w.drain_timeout * 1e9);

    std::atomic<std::size_t> running{loops.size()};
    std::vector<std::thread> workers;
    for (std::size_t i = 0; i < loops.size(); ++i)
        workers.emplace_back([&, i] {
            loops[i]->run(w.cpus.empty() ? -1 : w.cpus[i % w.cpus.size()]);
            --running;
        });
    Result r = supervise(w, t, loops, running, server);

    r.total_connects = active.size() + idle.size();  // every one the server accepted
    for (auto& worker : workers) worker.join();
    merge(w, t, loops, r);
    r.window_start_time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                          (static_cast<double>(now_ns()) - static_cast<double>(t.window_start)) / 1e9;
    r.greeting = w.greeting_lines ? loops.front()->result().greeting : greeter.probed_greeting();
    r.tls = greeter.tls_description();
    check_idle_connections(idle, r);
    std::vector<double> thread_cpu;
    for (const auto& loop : loops) thread_cpu.push_back(loop->window_cpu_seconds());
    judge(w, r, thread_cpu);
    return r;
}

void pin_to_cpu(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

// Summed over the process's threads from schedstat (nanoseconds), which is far finer than
// the clock ticks of /proc/PID/stat.
double process_cpu_seconds(int pid) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(tasks.c_str());
    if (!dir) return -1;
    double total = 0;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream stat(tasks + "/" + entry->d_name + "/schedstat");
        unsigned long long run_ns = 0;
        if (stat >> run_ns) total += static_cast<double>(run_ns) / 1e9;
    }
    ::closedir(dir);
    return total;
}

long process_rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace echomux::bench
