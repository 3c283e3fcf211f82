// SPDX-License-Identifier: BSL-1.0
// What every Prometheus exporter reports about itself (process_*, a build_info) and the
// connection cap in effect, checked against what the kernel says about the server process.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <dirent.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <regex>
#include <string>

using namespace echomux::test;

namespace {
double seconds_since_epoch() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A sample's value as written (integers and decimals); nan when absent.
double value_of(const std::string& page, const std::string& name) {
    std::smatch m;
    const std::string pattern = std::regex_replace(name, std::regex(R"([{}"])"), R"(\$&)");
    if (!std::regex_search(page, m, std::regex("\n" + pattern + " ([-0-9.e+]+)\n"))) return std::nan("");
    return std::stod(m[1]);
}

std::size_t open_fds(pid_t pid) {
    std::size_t n = 0;
    DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    BOOST_REQUIRE(dir);
    while (const dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
    ::closedir(dir);
    return n;
}

long rss_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    return -1;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(process_metrics)

BOOST_AUTO_TEST_CASE(process_metrics_agree_with_the_kernel) {
    const double before = seconds_since_epoch();
    // 128 descriptors: max_connections is lowered to fit (10000 -> 88), and says so.
    Server server = Server::with_metrics({}, ProcessOptions{{}, 128, {}});
    const double after = seconds_since_epoch();
    const pid_t pid = server.process().pid();
    const std::size_t idle_fds = open_fds(pid);
    const std::string page = http_get(server.metrics_port(), "/metrics").body;

    BOOST_TEST(value_of(page, "process_max_fds") == 128);
    BOOST_TEST(value_of(page, "echomux_connections_max") == 88);
    BOOST_TEST(value_of(page, "process_open_fds") == idle_fds + 1);  // and the scrape's own connection
    const double rss = value_of(page, "process_resident_memory_bytes");
    BOOST_TEST((rss > rss_bytes(pid) / 2 && rss < rss_bytes(pid) * 2), rss << " vs " << rss_bytes(pid));
    BOOST_TEST(value_of(page, "process_virtual_memory_bytes") >= rss);
    const double start = value_of(page, "process_start_time_seconds");
    BOOST_TEST((start >= before - 1 && start <= after + 1), std::to_string(start));
    const double cpu = value_of(page, "process_cpu_seconds_total");
    BOOST_TEST((cpu > 0 && cpu <= server.process().cpu_seconds() + 0.1), cpu);
    const std::string build = "\nechomux_build_info{version=\"" ECHOMUX_EXPECTED_VERSION "\",revision=\"";
    BOOST_TEST(page.find(build) != std::string::npos, page);
    BOOST_TEST(page.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

// CPU time is a counter that moves with work: 20 MiB echoed cost the server some.
BOOST_AUTO_TEST_CASE(process_cpu_seconds_grow_with_work) {
    Server server = Server::with_metrics();
    const double idle = value_of(http_get(server.metrics_port(), "/metrics").body, "process_cpu_seconds_total");
    auto c = connect_to(server.port());
    const std::string chunk(1 << 20, 'w');
    for (int i = 0; i < 20; ++i) {
        send_all(c.get(), chunk);
        BOOST_REQUIRE(recv_exact(c.get(), chunk.size()).size() == chunk.size());
    }
    const double busy = value_of(http_get(server.metrics_port(), "/metrics").body, "process_cpu_seconds_total");
    BOOST_TEST(busy > idle, busy << " vs " << idle);
}

// Three connections of known size: 10 bytes, 2,000 bytes, and 100,000 bytes held open
// over a second. Buckets are cumulative, as Prometheus reads them.
BOOST_AUTO_TEST_CASE(connection_histograms_count_each_connection_once_in_its_bucket) {
    Server server = Server::with_metrics();
    for (std::size_t size : {std::size_t{10}, std::size_t{2000}}) {
        auto c = connect_to(server.port());
        const std::string bytes(size, 'b');
        send_all(c.get(), bytes);
        BOOST_REQUIRE(recv_exact(c.get(), size) == bytes);
    }
    auto held = connect_to(server.port());
    const std::string big(100000, 'h');
    send_all(held.get(), big);
    BOOST_REQUIRE(recv_exact(held.get(), big.size()) == big);
    const auto opened = std::chrono::steady_clock::now();
    BOOST_REQUIRE(wait_for_metric(server.metrics_port(), "echomux_connection_duration_seconds_count",
                                  [](long long v) { return v == 2; }) == 2);
    while (std::chrono::steady_clock::now() - opened < 1200ms)  // held open past the 1 s bound
        BOOST_REQUIRE(!peer_closed_within(held.get(), 100));
    held.reset();
    BOOST_REQUIRE(wait_for_metric(server.metrics_port(), "echomux_connection_duration_seconds_count",
                                  [](long long v) { return v == 3; }) == 3);
    const std::string page = http_get(server.metrics_port(), "/metrics").body;
    auto bucket = [&](const std::string& name, const std::string& le) {
        return metric_sample(page, name + "_bucket{le=\"" + le + "\"}");
    };
    const std::string bytes = "echomux_connection_received_bytes";
    BOOST_TEST(bucket(bytes, "64") == 1);
    BOOST_TEST(bucket(bytes, "1024") == 1);
    BOOST_TEST(bucket(bytes, "16384") == 2);
    BOOST_TEST(bucket(bytes, "262144") == 3);
    BOOST_TEST(bucket(bytes, "+Inf") == 3);
    BOOST_TEST(metric_sample(page, bytes + "_sum") == 102010);
    const std::string duration = "echomux_connection_duration_seconds";
    BOOST_TEST(bucket(duration, "1") == 2);
    BOOST_TEST(bucket(duration, "10") == 3);
    BOOST_TEST(value_of(page, duration + "_sum{listener=\"main\"}") >= 1.2);
}

// Five connections of well under a millisecond each (issue 25): their durations add up in
// microseconds, where whole milliseconds of loop time mostly summed them to 0 (the exact
// microseconds: connection_duration_test). One after another, they fit in the run.
BOOST_AUTO_TEST_CASE(short_connections_add_up_to_more_than_zero_and_less_than_the_run) {
    Server server = Server::with_metrics();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        auto c = connect_to(server.port());
        send_all(c.get(), "x");
        BOOST_REQUIRE(recv_exact(c.get(), 1) == "x");
    }
    BOOST_REQUIRE(wait_for_metric(server.metrics_port(), "echomux_connection_duration_seconds_count",
                                  [](long long v) { return v == 5; }) == 5);
    const double run = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string page = http_get(server.metrics_port(), "/metrics").body;
    const double sum = value_of(page, "echomux_connection_duration_seconds_sum{listener=\"main\"}");
    BOOST_TEST(sum > 0);
    BOOST_TEST(sum < run, sum << " s summed in a run of " << run << " s");
}

BOOST_AUTO_TEST_SUITE_END()
