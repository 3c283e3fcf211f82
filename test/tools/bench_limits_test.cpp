// SPDX-License-Identifier: BSL-1.0
// What limited a run, said with the run: a UDP run held to the server's per-source rate
// limit, and a compare run starved of CPU (neither side busy, throughput far below the
// cell's others), which leaves the medians. Also the /metrics reading they rest on.
#define BOOST_TEST_MODULE echomux bench limits
#include "support/process.hpp"
#include "bench_fixtures.hpp"

#include "tools/bench/compare_starved.hpp"
#include "tools/bench/metrics_text.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace echomux::bench;
using namespace echomux::test;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(a_metric_is_the_sum_of_its_series_over_a_label_subset) {
    const std::string page =
        "# HELP echomux_udp_dropped_datagrams_total UDP datagrams not answered\n"
        "# TYPE echomux_udp_dropped_datagrams_total counter\n"
        "echomux_udp_dropped_datagrams_total{listener=\"main\",reason=\"rate_limit\"} 12\n"
        "echomux_udp_dropped_datagrams_total{listener=\"main\",reason=\"send_error\"} 5\n"
        "echomux_udp_dropped_datagrams_total{listener=\"side \\\"b\\\"\",reason=\"rate_limit\"} 30 1700000000\n"
        "echomux_udp_dropped_datagrams_total_extra{reason=\"rate_limit\"} 1000\n"
        "process_cpu_seconds_total 1.5\n";
    BOOST_TEST(*sum_of_series(page, "echomux_udp_dropped_datagrams_total", {{"reason", "rate_limit"}}) == 42);
    BOOST_TEST(*sum_of_series(page, "echomux_udp_dropped_datagrams_total") == 47);
    BOOST_TEST(*sum_of_series(page, "echomux_udp_dropped_datagrams_total",
                              {{"listener", "side \"b\""}, {"reason", "rate_limit"}}) == 30);
    BOOST_TEST(*sum_of_series(page, "process_cpu_seconds_total") == 1.5);
    BOOST_TEST(!sum_of_series(page, "echomux_udp_dropped_datagrams_total", {{"reason", "too_large"}}));
    BOOST_TEST(!sum_of_series(page, "echomux_udp_received_datagrams_total"));
    BOOST_TEST(!parse_metric_line("echomux_x{listener=\"main\" 3"));
    BOOST_TEST(!parse_metric_line("# TYPE echomux_x counter"));
}

namespace {
json::object udp_result(const std::string& out) { return json::parse(out).as_object().at("result").as_object(); }

std::vector<std::string> udp_run(int port, std::vector<std::string> extra) {
    std::vector<std::string> args = {"run",       "--port",   std::to_string(port), "--workload", "udp",
                                     "--connections", "20", "--warmup", "0.1", "--duration", "0.5",
                                     "--timeout", "0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}
}  // namespace

// The default server answers one source 1000 times a second: the run says it measured the
// limiter, from the server's own counter, and how to measure the server instead.
BOOST_AUTO_TEST_CASE(a_udp_run_held_to_udp_rate_per_source_says_so) {
    Server limited = Server::with_metrics({"--udp=on"});
    const std::string url = "http://127.0.0.1:" + std::to_string(limited.metrics_port()) + "/metrics";
    const Run j = bench(udp_run(limited.port(), {"--metrics-url", url, "--json"}));
    BOOST_TEST(j.status == 0, j.err);
    const auto udp = udp_result(j.out).at("udp").as_object();
    BOOST_TEST(udp.at("limited_by").as_string() == "udp_rate_per_source");
    BOOST_TEST(udp.at("rate_limited").to_number<double>() > 0);
    BOOST_TEST(contains(j.out, "hint: every datagram comes from one source address"), j.out);
    BOOST_TEST(schema_verdict_of_text(j.out) == "valid");

    const Run text = bench(udp_run(limited.port(), {"--metrics-url", url}));
    BOOST_TEST(text.status == 0, text.err);
    BOOST_TEST(contains(text.out, "note         limited by udp_rate_per_source: the server withheld "), text.out);
    BOOST_TEST(contains(text.out, "udp_rate_per_source = 0"), text.out);

    // No /metrics: the loss pattern (datagrams lost while neither side was busy) says it.
    const Run guessed = bench(udp_run(limited.port(), {"--json"}));
    BOOST_TEST(guessed.status == 0, guessed.err);
    const auto guessed_udp = udp_result(guessed.out).at("udp").as_object();
    BOOST_TEST(guessed_udp.at("limited_by").as_string() == "udp_rate_per_source");
    BOOST_TEST(guessed_udp.at("rate_limited").is_null());
    BOOST_TEST(contains(guessed.out, "limited by udp_rate_per_source (from the loss pattern)"), guessed.out);
}

BOOST_AUTO_TEST_CASE(a_udp_run_without_the_limit_is_not_marked) {
    Server open = Server::with_metrics({"--udp=on", "--udp-rate-per-source=0"});
    const std::string url = "http://127.0.0.1:" + std::to_string(open.metrics_port()) + "/metrics";
    const Run j = bench(udp_run(open.port(), {"--metrics-url", url, "--json"}));
    BOOST_TEST(j.status == 0, j.err);
    const auto udp = udp_result(j.out).at("udp").as_object();
    BOOST_TEST(udp.at("limited_by").is_null(), j.out);
    BOOST_TEST(udp.at("rate_limited").to_number<double>() == 0);
}

namespace {
Result run_at(std::uint64_t requests, double server_cpu, double client_cpu) {
    Result r = measured();  // a 2 s window
    r.requests = requests;
    r.server_cpu_seconds = server_cpu;
    r.client_cpu_seconds = client_cpu;
    return r;
}
}  // namespace

// 100,000 req/s three times, then 500 req/s with both sides at 1 % of a core: starved, out
// of the median. 500 req/s with the server at 95 % is a slow server, not a starved one.
BOOST_AUTO_TEST_CASE(a_run_where_neither_side_was_busy_and_throughput_collapsed_is_starved) {
    CellRuns fast, slow;
    for (int i = 0; i < 3; ++i) fast.runs.push_back(run_at(200000, 1.5, 1.9));
    fast.runs.push_back(run_at(1000, 0.02, 0.02));
    slow.runs.push_back(run_at(1000, 1.9, 0.02));
    mark_starved_runs({&fast, &slow}, false);
    BOOST_TEST(fast.valid_runs() == 3);
    BOOST_REQUIRE(fast.runs[3].invalid.size() == 1u);
    BOOST_TEST(fast.runs[3].invalid[0] ==
               "starved / interfered: 500 req/s, under 25 % of the median of the cell's other runs (100000 req/s) "
               "while the server used 1 % and the load generator 1 % of a core (both under 25 %)");
    BOOST_TEST(fast["requests_per_second"]->median == 100000);
    BOOST_TEST(slow.valid_runs() == 1);

    // The rate sweep's reference is the rate asked of that server.
    CellRuns swept;
    swept.workload.rate = 4000;
    swept.runs.push_back(run_at(7800, 0.02, 0.02));  // 3900 req/s: reached
    swept.runs.push_back(run_at(1000, 0.02, 0.02));  // 500 req/s of 4000
    mark_starved_runs({&swept}, true);
    BOOST_TEST(swept.runs[0].valid());
    BOOST_TEST(!swept.runs[1].valid());
    BOOST_TEST(contains(swept.runs[1].invalid.at(0), "of the rate asked (4000 req/s)"));
}
