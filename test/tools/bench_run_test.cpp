// SPDX-License-Identifier: BSL-1.0
// echomux-bench run, the load engine: results that refuse to lie (a stalled server, bytes
// that never come back), open-loop latency from the intended send time, load threads and
// connection churn counted exactly against the server's own /metrics, and its arguments.
#define BOOST_TEST_MODULE echomux bench run
#include "support/net.hpp"
#include "support/process.hpp"
#include "whole_run.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <regex>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {

std::vector<std::string> bench_args(std::vector<std::string> args) {
    args.insert(args.begin(), {tool_binary("echomux-bench"), "run"});
    return args;
}

Run bench(std::vector<std::string> args, const ProcessOptions& options = {}) {
    return run_to_end(bench_args(std::move(args)), options);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A number from the bench's JSON ("p99" in latency_ns, "requests", ...): the first `"key":N`.
double json_number(const std::string& json, const std::string& key) {
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.e+]+)")), key << " in " << json);
    return std::stod(m[1]);
}

// A loopback listener and a thread per connection running `serve(fd)`.
class TestServer {
public:
    explicit TestServer(std::function<void(int fd)> serve)
        : serve_(std::move(serve)), listener_(listen_on_loopback(port_)) {
        acceptor_ = std::thread([this] {
            for (;;) {
                const int c = ::accept(listener_.get(), nullptr, nullptr);
                if (c < 0) return;
                std::lock_guard<std::mutex> lock(mutex_);
                fds_.push_back(c);
                sessions_.emplace_back([this, c] { serve_(c); });
            }
        });
    }
    ~TestServer() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        acceptor_.join();
        std::lock_guard<std::mutex> lock(mutex_);
        for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // ends the sessions' reads
        for (auto& t : sessions_) t.join();
        for (int fd : fds_) ::close(fd);
    }
    int port() const { return port_; }

private:
    std::function<void(int)> serve_;
    int port_ = 0;  // before listener_, which sets it
    Fd listener_;
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<int> fds_;
    std::vector<std::thread> sessions_;
};

bool read_exact(int fd, char* into, std::size_t n) {
    for (std::size_t got = 0; got < n;) {
        const ssize_t r = ::recv(fd, into + got, n - got, 0);
        if (r <= 0) return false;
        got += static_cast<std::size_t>(r);
    }
    return true;
}

// Echoes messages of `size` bytes, but silently swallows every 1000th (over all connections):
// the kind of bug only a drain finds, since nothing comes back wrong.
class SwallowingServer {
public:
    explicit SwallowingServer(std::size_t size)
        : server_([this, size](int fd) {
              std::vector<char> message(size);
              while (read_exact(fd, message.data(), size)) {
                  if (++messages_ % 1000 == 0) {
                      ++swallowed_;
                      continue;
                  }
                  if (!try_send_all(fd, message.data(), size)) return;
              }
          }) {}
    int port() const { return server_.port(); }
    std::uint64_t swallowed() const { return swallowed_; }

private:
    std::atomic<std::uint64_t> messages_{0}, swallowed_{0};
    TestServer server_;
};

// Echoes every byte `delay` after it arrived, however many are in flight: a server with a
// fixed service time, against which an open-loop client must see that time as its latency.
void delayed_echo(int fd, std::chrono::milliseconds delay) {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> queue;
    bool closed = false;
    std::thread writer([&] {
        std::unique_lock<std::mutex> lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return closed || !queue.empty(); });
            if (queue.empty()) return;
            const auto due = queue.front().first;
            if (changed.wait_until(lock, due, [&] { return closed && queue.empty(); })) return;
            if (std::chrono::steady_clock::now() < due) continue;
            std::string bytes = std::move(queue.front().second);
            queue.pop_front();
            lock.unlock();
            const bool sent = try_send_all(fd, bytes.data(), bytes.size());
            lock.lock();
            if (!sent) return;
        }
    });
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        std::lock_guard<std::mutex> lock(mutex);
        if (n <= 0) {
            closed = true;
            changed.notify_all();
            break;
        }
        queue.emplace_back(std::chrono::steady_clock::now() + delay, std::string(buffer, static_cast<std::size_t>(n)));
        changed.notify_all();
    }
    writer.join();
}

}  // namespace

// The run is stopped, not reported: a server that stops answering mid-window gives no number.
BOOST_AUTO_TEST_CASE(a_server_stopped_mid_run_makes_the_run_invalid) {
    Server server;
    Process run(bench_args({"--port", std::to_string(server.port()), "--connections", "4", "--warmup", "0",
                            "--duration", "20", "--interval", "0.1", "--stall-timeout", "0.5"}));
    // The first interval line: the window is running and replies are flowing.
    BOOST_REQUIRE(run.wait_for_err("interval ", 10s));
    server.process().signal(SIGSTOP);
    const auto status = run.wait(15s);
    server.process().signal(SIGCONT);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 1);
    BOOST_TEST(contains(run.err(), "not a valid measurement: the server stopped answering: no reply for "), run.err());
    BOOST_TEST(contains(run.err(), "not a valid measurement: window "), run.err());
}

// A server that takes the bytes and never answers, for less than the stall timeout: there
// is no latency and no rate to report, only that nothing came back.
BOOST_AUTO_TEST_CASE(a_run_in_which_nothing_came_back_is_invalid) {
    TestServer silent([](int fd) {
        char buffer[4096];
        while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
        }
    });
    const Run r = bench({"--port", std::to_string(silent.port()), "--connections", "2", "--warmup", "0",
                         "--duration", "0.3", "--drain-timeout", "0.1"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "not a valid measurement: no request completed in the window"), r.err);
    BOOST_TEST(contains(r.err, "(128 bytes never came back)"), r.err);
}

BOOST_AUTO_TEST_CASE(bytes_a_server_swallows_are_counted_by_the_drain) {
    SwallowingServer server(64);
    const Run r = bench({"--port", std::to_string(server.port()), "--connections", "8", "--size", "64", "--warmup",
                         "0", "--duration", "1", "--drain-timeout", "0.3", "--stall-timeout", "60"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST_REQUIRE(server.swallowed() > 0);
    // Each swallowed message holds up its ping-pong connection: exactly that many bytes are missing.
    const std::string missing = std::to_string(64 * server.swallowed());
    BOOST_TEST(contains(r.err, "(" + missing + " bytes never came back)"), r.err);
    BOOST_TEST(contains(r.out, "error: " + missing + " bytes sent on " + std::to_string(server.swallowed()) +
                                   " connection(s) never came back within the 0.3 s drain"),
               r.out);
    BOOST_TEST(contains(r.out, "errors       " + std::to_string(server.swallowed()) + "\n"), r.out);
}

BOOST_AUTO_TEST_CASE(open_loop_latency_is_the_servers_delay) {
    TestServer server([](int fd) { delayed_echo(fd, 50ms); });
    const Run r = bench({"--port", std::to_string(server.port()), "--connections", "4", "--rate", "200", "--warmup",
                         "0.2", "--duration", "2", "--json"});
    BOOST_TEST(r.status == 0, r.err);
    const double p50_ms = json_number(r.out, "p50") / 1e6;
    BOOST_TEST(p50_ms >= 50);
    BOOST_TEST(p50_ms <= 65);
    // The rate asked is the rate measured: 200/s for 2 s, give or take the window's edges.
    BOOST_TEST(json_number(r.out, "requests") >= 396);
    BOOST_TEST(json_number(r.out, "requests") <= 404);
}

// The p99 (or p90) of a run during which the server is stopped for 1 s, 0.5 s into a 3 s window.
double percentile_with_a_stall(const std::vector<std::string>& args, const std::string& percentile) {
    Server server;
    std::vector<std::string> all = {"--port", std::to_string(server.port()), "--warmup", "0", "--duration", "3",
                                    "--interval", "0.5", "--json"};
    all.insert(all.end(), args.begin(), args.end());
    Process run(bench_args(all));
    BOOST_REQUIRE(run.wait_for_err("interval ", 10s));
    server.process().signal(SIGSTOP);
    std::this_thread::sleep_for(1s);  // the stall itself, not a wait for something
    server.process().signal(SIGCONT);
    const auto status = run.wait(30s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0, run.err());
    return json_number(run.out(), percentile);
}

// Coordinated omission: the requests a stalled server held up count from when they were
// due, also those the client could not even send (one connection, at most 256 in flight):
// a third of the window's requests were due during the stall, so the p90 is ~0.7 s. A
// closed loop sends one request per connection into the stall and reports a small p99.
BOOST_AUTO_TEST_CASE(open_loop_latency_includes_a_one_second_stall) {
    BOOST_TEST(percentile_with_a_stall({"--connections", "1", "--rate", "1000"}, "p90") >= 0.5e9);
    BOOST_TEST(percentile_with_a_stall({"--connections", "10"}, "p99") < 0.5e9);
}

BOOST_AUTO_TEST_CASE(two_load_threads_send_exactly_what_the_server_received) {
    Server server = Server::with_metrics();
    const Run r = bench({"--port", std::to_string(server.port()), "--threads", "2", "--connections", "8", "--warmup",
                         "0.2", "--duration", "1", "--json"});
    BOOST_TEST(r.status == 0, r.err);
    const WholeRun total = whole_run(r.err);
    BOOST_TEST(total.sent == total.received);
    BOOST_TEST(total.sent == 64 * total.requests);
    BOOST_TEST(total.requests > json_number(r.out, "requests"));  // warm-up and drain too
    const long long counted = wait_for_metric(server.metrics_port(), "echomux_received_bytes_total",
                                              [&](long long v) { return v >= static_cast<long long>(total.sent); });
    BOOST_TEST(counted == static_cast<long long>(total.sent));
    BOOST_TEST(total.connections == 8u);
    BOOST_TEST(metric_sample(http_get(server.metrics_port(), "/metrics").body, "echomux_connections_accepted_total") == 8);
}

BOOST_AUTO_TEST_CASE(connection_churn_counts_every_accept) {
    Server server = Server::with_metrics();
    const Run r = bench({"--port", std::to_string(server.port()), "--connect-rate", "300", "--warmup", "0.2",
                         "--duration", "1", "--json"});
    BOOST_TEST(r.status == 0, r.err);
    const WholeRun total = whole_run(r.err);
    BOOST_TEST(total.connections > 300);
    BOOST_TEST(total.requests == total.connections - 1);  // all but the one that found the address
    const long long accepted = wait_for_metric(server.metrics_port(), "echomux_connections_accepted_total",
                                               [&](long long v) { return v >= static_cast<long long>(total.connections); });
    BOOST_TEST(accepted == static_cast<long long>(total.connections));
}

BOOST_AUTO_TEST_CASE(server_cpu_comes_from_the_metrics_url) {
    Server server = Server::with_metrics();
    const std::string url = "http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics";
    const Run r = bench({"--port", std::to_string(server.port()), "--metrics-url", url, "--warmup", "0.1",
                         "--duration", "1", "--json"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(json_number(r.out, "server_cpu_seconds") > 0);
    const Run wrong = bench({"--port", std::to_string(server.port()), "--metrics-url",
                             "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics", "--duration", "0.2"});
    BOOST_TEST(wrong.status == 1);
    BOOST_TEST(contains(wrong.err, "--metrics-url http://127.0.0.1:" + std::to_string(server.port()) + "/metrics: "),
               wrong.err);
}

BOOST_AUTO_TEST_CASE(mixed_sizes_and_interval_lines) {
    Server server;
    const Run r = bench({"--port", std::to_string(server.port()), "--sizes", "64,512,4096", "--connections", "4",
                         "--warmup", "0.1", "--duration", "1", "--interval", "0.25", "--json"});
    BOOST_TEST(r.status == 0, r.err);
    const double mean = json_number(r.out, "bytes") / json_number(r.out, "requests");
    BOOST_TEST(mean > 64 * 1.5);
    BOOST_TEST(mean < 4096 * 0.9);
    std::size_t lines = 0;
    for (std::size_t at = 0; (at = r.err.find("interval ", at)) != std::string::npos; ++at) ++lines;
    BOOST_TEST(lines == 4u, r.err);
}

BOOST_AUTO_TEST_CASE(bad_run_arguments_are_refused) {
    struct Case {
        std::vector<std::string> args;
        int status;
        std::string message;
    };
    Process gone({"/bin/true"});
    BOOST_REQUIRE(gone.wait(10s));
    Server server;
    const std::string port = std::to_string(server.port());
    const std::vector<Case> cases = {
        {{"--server-pid", "12 34"}, 2, "--server-pid takes one PID; got '12 34'"},
        {{"--server-pid", ""}, 2, "--server-pid takes one PID; got ''"},
        {{"--port", port, "--server-pid", std::to_string(gone.pid())}, 1,
         "--server-pid " + std::to_string(gone.pid()) + ": no such process"},
        {{"--port", port, "stray"}, 2, "too many positional options"},
        {{"--cpu", "0,x"}, 2, "--cpu takes numbers separated by commas; got '0,x'"},
        {{"--cpu", "0,100000"}, 2, "--cpu 100000: not a CPU this process may run on"},
        {{"--sizes", "64,0"}, 2, "--sizes: each size must be from 1"},
        {{"--rate", "100", "--workload", "stream"}, 2, "--rate goes with --workload pingpong"},
        {{"--threads", "0"}, 2, "--threads must be from 1 to 256"},
        {{"--metrics-url", "ftp://x/metrics"}, 2, "--metrics-url must be http://HOST:PORT/PATH"},
    };
    for (const Case& c : cases) {
        const Run r = bench(c.args);
        BOOST_TEST(r.status == c.status, c.args.front());
        BOOST_TEST(contains(r.err, c.message), r.err);
    }
}

BOOST_AUTO_TEST_CASE(idle_connections_beyond_the_file_limit_are_refused_before_starting) {
    Server server;
    ProcessOptions limited;
    limited.fd_limit = 256;
    const Run r = bench({"--port", std::to_string(server.port()), "--idle", "1000"}, limited);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "not enough file descriptors: 50 connections + 1000 idle + 64 spare = 1114, but the "
                               "open file limit is 256 (hard limit 256"),
               r.err);
}
