// SPDX-License-Identifier: BSL-1.0
// What echomux-bench reports: JSON that validates against docs/bench-result.schema.json,
// CSV, HdrHistogram .hgrm files, and compare's refusal to turn a cell with no valid run
// into a number. Results built here stand for what the load engine measures; the real
// binary is run against a live echomux for the rest.
#define BOOST_TEST_MODULE echomux bench reports
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "bench_fixtures.hpp"

#include "tools/bench/compare_plan.hpp"
#include "tools/bench/compare_report.hpp"
#include "tools/bench/csv_report.hpp"
#include "tools/bench/hgrm.hpp"
#include "tools/bench/json_report.hpp"
#include "tools/bench/regime.hpp"
#include "tools/bench/report.hpp"

#include "echomux/util/version.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace echomux::bench;
using namespace echomux::test;
namespace json = boost::json;

namespace {
const json::object& object_at(const json::value& v, const char* key) { return v.as_object().at(key).as_object(); }
}  // namespace


BOOST_AUTO_TEST_CASE(json_says_null_for_what_was_not_measured_never_minus_one) {
    Result r = measured();
    r.server_cpu_seconds = -1;
    r.server_rss_kib = -1;
    const json::value doc = json::parse(run_json(pingpong(), r, {"--port", "7007"}));
    const auto& result = object_at(doc, "result");
    for (const char* key : {"server_cpu_seconds", "server_rss_kib", "server_us_per_request", "server_cpu_percent",
                            "server_rss_mib", "connect_latency_ns", "udp"})
        BOOST_TEST(result.at(key).is_null(), key);
    BOOST_TEST(result.at("regime").as_string() == "unknown");
    BOOST_TEST(result.at("requests_per_second").as_double() == 100000.0);
    BOOST_TEST(object_at(doc, "workload").at("rate").is_null());
    // The interval with no completed request has no p99.
    BOOST_TEST(result.at("intervals").as_array().at(1).as_object().at("p99_ns").is_null());
    BOOST_TEST(result.at("intervals").as_array().at(0).as_object().at("p99_ns").to_number<std::int64_t>() == 250000);
    BOOST_TEST(doc.as_object().at("tool").as_object().at("version").as_string() == echomux::version());
    BOOST_TEST(!object_at(doc, "machine").at("kernel").as_string().empty());
    BOOST_TEST(std::regex_match(std::string(doc.as_object().at("time").as_string()),
                                std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")));
}

BOOST_AUTO_TEST_CASE(an_invalid_run_carries_its_reasons_and_no_figures) {
    const Result r = stalled();
    const json::value doc = json::parse(run_json(pingpong(), r, {}));
    const auto& result = object_at(doc, "result");
    BOOST_TEST(result.at("valid").as_bool() == false);
    BOOST_TEST(result.at("invalid").as_array().at(0).as_string() == "the server stopped answering: no reply for 1.9 s");
    BOOST_TEST(result.at("requests").to_number<std::int64_t>() == 10);  // the counts stay: they are what happened
    for (const auto& f : figures()) BOOST_TEST(result.at(f.key).is_null(), f.key);
    BOOST_TEST(result.at("regime").is_null());

    const std::string human = human_report(pingpong(), r);
    BOOST_TEST(contains(human, "INVALID      the server stopped answering: no reply for 1.9 s\n"), human);
    BOOST_TEST(contains(human, "server CPU   not measured\n"), human);

    const std::string line = csv_line({"127.0.0.1:7007", "cell", 1}, pingpong(), r);
    BOOST_TEST(contains(line, ",false,,the server stopped answering: no reply for 1.9 s,,"), line);
    BOOST_TEST(line.substr(line.size() - figures().size() - 1) == std::string(figures().size(), ',') + "\n", line);
}

BOOST_AUTO_TEST_CASE(notes_show_in_every_output) {
    Result r = measured();
    r.notes.push_back("bound by the load generator: client CPU 99%");
    BOOST_TEST(contains(human_report(pingpong(), r), "note         bound by the load generator: client CPU 99%\n"));
    BOOST_TEST(contains(run_json(pingpong(), r, {}), "\"notes\":[\"bound by the load generator: client CPU 99%\"]"));
    BOOST_TEST(contains(csv_line({"s", "c", 1}, pingpong(), r), ",true,client-bound,,bound by the load generator: client CPU 99%,"));
}

BOOST_AUTO_TEST_CASE(constructed_run_documents_validate_against_the_schema) {
    Workload udp = pingpong();
    udp.kind = Workload::Kind::udp;
    Result lossy = measured();
    lossy.datagrams_sent = 1000;
    lossy.datagrams_answered = 990;
    lossy.datagrams_lost = 10;
    Workload churn = pingpong();
    churn.connect_rate = 500;
    churn.rate = 2000;
    churn.threads = 2;
    churn.sizes = {64, 1024};
    Result connects = measured();
    connects.connects = 1000;
    connects.threads = 2;
    connects.connect_latency.record(40000);
    BOOST_TEST(schema_verdict_of_text(run_json(pingpong(), measured(), {"--json"})) == "valid");
    BOOST_TEST(schema_verdict_of_text(run_json(pingpong(), stalled(), {})) == "valid");
    BOOST_TEST(schema_verdict_of_text(run_json(udp, lossy, {})) == "valid");
    BOOST_TEST(schema_verdict_of_text(run_json(churn, connects, {})) == "valid");
    // The schema can fail: a -1 where null belongs, and figures on an invalid run.
    json::value minus_one = json::parse(run_json(pingpong(), measured(), {}));
    minus_one.as_object()["result"].as_object()["server_cpu_seconds"] = -1;
    BOOST_TEST(schema_verdict_of_text(json::serialize(minus_one)) != "valid");
    json::value doc = json::parse(run_json(pingpong(), stalled(), {}));
    doc.as_object()["result"].as_object()["requests_per_second"] = 5.0;
    BOOST_TEST(schema_verdict_of_text(json::serialize(doc)) != "valid");
}

BOOST_AUTO_TEST_CASE(hgrm_is_hdrhistograms_percentile_distribution_in_microseconds) {
    Histogram one;
    one.record(5000);  // 5 us; its bucket is 5000..5003 ns (3 significant digits), shown as its top
    BOOST_TEST(hgrm(one) ==
               "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
               "       5.003 0.000000000000          1           1.00\n"
               "       5.003 1.000000000000          1\n"
               "#[Mean    =        5.002, StdDeviation   =        0.000]\n"
               "#[Max     =        5.003, Total count    =            1]\n"
               "#[Buckets =           32, SubBuckets     =         2048]\n");

    // 1..1000 us, once each: HdrHistogram's steps (0, 10 %, ... 50 %, 55 %, ... 75 %, 77.5 %, ...).
    Histogram h;
    for (int us = 1; us <= 1000; ++us) h.record(us * 1000ull);
    const std::string text = hgrm(h);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    std::getline(lines, line);
    std::vector<double> percentiles;
    double last_value = 0, last_percentile = -1;
    unsigned long long last_count = 0;
    while (std::getline(lines, line) && line[0] != '#') {
        double value = 0, percentile = 0;
        unsigned long long count = 0;
        BOOST_REQUIRE_MESSAGE(std::sscanf(line.c_str(), "%lf %lf %llu", &value, &percentile, &count) == 3, line);
        BOOST_TEST(value >= last_value, line);
        BOOST_TEST(percentile > last_percentile, line);
        BOOST_TEST(count >= last_count, line);
        // The row's count reaches its percentile (of 1000 samples).
        BOOST_TEST(count >= percentile * 1000 - 1e-6, line);
        percentiles.push_back(percentile);
        last_value = value, last_percentile = percentile, last_count = count;
    }
    const std::vector<double> first = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.775, 0.8};
    BOOST_REQUIRE(percentiles.size() > first.size());
    for (std::size_t i = 0; i < first.size(); ++i) BOOST_TEST(std::abs(percentiles[i] - first[i]) < 1e-9, i);
    BOOST_TEST(percentiles.back() == 1.0);
    BOOST_TEST(last_value == 1000.447);  // 1 ms's bucket: 999936..1000447 ns
    BOOST_TEST(last_count == 1000u);
    BOOST_TEST(contains(text, "#[Max     =     1000.447, Total count    =         1000]\n"), text);
    // The mean, from each bucket's middle, within the histogram's 1/1000 precision of 500.5 us.
    double mean = 0;
    BOOST_REQUIRE(std::sscanf(text.substr(text.find("#[Mean")).c_str(), "#[Mean = %lf", &mean) == 1);
    BOOST_TEST(std::abs(mean - 500.5) < 500.5 / 1000);
}

BOOST_AUTO_TEST_CASE(regime_follows_the_server_cpu_utilisation) {
    Result r = measured();  // server 1.5 s of 2 s: 75 %; client 99 %
    BOOST_TEST(regime_name(regime_of(r)) == std::string("client-bound"));
    r.server_cpu_seconds = 1.9;  // 95 %
    BOOST_TEST(regime_name(regime_of(r)) == std::string("server-bound"));
    r.server_cpu_seconds = 0.5;
    r.client_cpu_seconds = 0.5;
    BOOST_TEST(regime_name(regime_of(r)) == std::string("neither saturated"));
    r.threads = 2;  // two load loops saturate at 200 %
    r.client_cpu_seconds = 2.0;
    BOOST_TEST(regime_name(regime_of(r)) == std::string("neither saturated"));
    r.server_cpu_seconds = -1;
    BOOST_TEST(regime_name(regime_of(r)) == std::string("unknown"));
}

