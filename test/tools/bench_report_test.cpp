// SPDX-License-Identifier: BSL-1.0
// What echomux-bench reports: JSON that validates against docs/bench-result.schema.json,
// CSV, HdrHistogram .hgrm files, and compare's refusal to turn a cell with no valid run
// into a number. Results built here stand for what the load engine measures; the real
// binary is run against a live echomux for the rest.
#define BOOST_TEST_MODULE echomux bench reports
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Run run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s) {
    return run_to_end(argv, {}, timeout);
}

Run bench(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) {
    args.insert(args.begin(), tool_binary("echomux-bench"));
    return run(args, timeout);
}

// The document in `path` against the schema kept in the repository, by python3-jsonschema
// (scripts/install-deps.sh --test installs it): "valid" or the validator's complaint.
std::string schema_verdict(const std::string& path) {
    const Run r = run({"/usr/bin/python3", "-c",
                       "import json, sys, jsonschema\n"
                       "schema = json.load(open(sys.argv[1]))\n"
                       "jsonschema.Draft202012Validator.check_schema(schema)\n"
                       "try:\n"
                       "    jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))\n"
                       "    print('valid')\n"
                       "except jsonschema.ValidationError as e:\n"
                       "    print(e.message, list(e.absolute_path))\n",
                       std::string(ECHOMUX_SOURCE_DIR) + "/docs/bench-result.schema.json", path});
    BOOST_TEST(r.status == 0, r.err);
    return r.out.empty() ? r.err : r.out.substr(0, r.out.find('\n'));
}

std::string schema_verdict_of_text(const std::string& document) {
    TempDir dir;
    const std::string path = dir.path() + "/doc.json";
    std::ofstream(path) << document;
    return schema_verdict(path);
}

Workload pingpong() {
    Workload w;
    w.port = 7007;
    w.duration = 2;
    w.warmup = 0.5;
    return w;
}

// A valid closed-loop run: 2 s, 200,000 requests of 64 B, latencies 100..299 us.
Result measured() {
    Result r;
    r.asked_seconds = 2;
    r.seconds = 2;
    r.requests = 200000;
    r.bytes = 200000 * 64;
    for (int i = 0; i < 200000; ++i) r.latency.record(100000 + (i % 200) * 1000);
    r.client_cpu_seconds = 1.98;
    r.server_cpu_seconds = 1.5;
    r.server_rss_kib = 4096;
    r.intervals.push_back({0, 1, 100000, 6400000, 0, 250000});
    r.intervals.push_back({1, 1, 100000, 6400000, 0, 0});
    return r;
}

Result stalled() {
    Result r;
    r.asked_seconds = 2;
    r.seconds = 2;
    r.requests = 10;
    r.bytes = 640;
    r.latency.record(1000000);
    r.client_cpu_seconds = 0.01;
    r.server_cpu_seconds = -1;
    r.invalid.push_back("the server stopped answering: no reply for 1.9 s");
    return r;
}

// "-1", "-0.5" as a word of their own (not the "-1" of "pingpong-64B-1c" or a date).
bool has_negative_number(const std::string& text) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
        if (text[i] == '-' && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
            (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))))
            return true;
    return false;
}

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
    one.record(5000);  // 5 us; its bucket is 4864..5119 ns, capped at the maximum
    BOOST_TEST(hgrm(one) ==
               "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
               "       5.000 0.000000000000          1           1.00\n"
               "       5.000 1.000000000000          1\n"
               "#[Mean    =        4.932, StdDeviation   =        0.000]\n"
               "#[Max     =        5.000, Total count    =            1]\n"
               "#[Buckets =           61, SubBuckets     =           16]\n");

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
    BOOST_TEST(last_value == 1000.0);
    BOOST_TEST(last_count == 1000u);
    BOOST_TEST(contains(text, "#[Max     =     1000.000, Total count    =         1000]\n"), text);
    // The mean, from each bucket's middle, within the histogram's 1/16 precision of 500.5 us.
    double mean = 0;
    BOOST_REQUIRE(std::sscanf(text.substr(text.find("#[Mean")).c_str(), "#[Mean = %lf", &mean) == 1);
    BOOST_TEST(std::abs(mean - 500.5) < 500.5 / 16);
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

BOOST_AUTO_TEST_CASE(medians_and_ranges_come_from_the_valid_repeats_only) {
    std::vector<Result> runs;
    for (double cpu : {1.0, 1.2, 1.1, 1.3}) {
        Result r = measured();
        r.server_cpu_seconds = cpu;  // 5, 6, 5.5, 6.5 us per request
        runs.push_back(r);
    }
    runs.push_back(stalled());
    const auto s = spread(figure("server_us_per_request"), runs);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->runs == 4);
    BOOST_TEST(s->median == 5.75, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(s->min == 5.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(s->max == 6.5, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(!spread(figure("server_us_per_request"), {stalled(), stalled()}));
}

BOOST_AUTO_TEST_CASE(idle_sweep_is_capped_to_the_descriptor_limit_and_says_so) {
    CompareOptions o;
    const Plan plan = make_plan(o, 20000, 28232);
    std::vector<int> idle;
    for (const auto& c : plan.cells)
        if (c.group == CellGroup::idle_sweep) idle.push_back(c.workload.idle);
    BOOST_TEST(idle == (std::vector<int>{100, 1000, 10000, 19886}), boost::test_tools::per_element());
    BOOST_REQUIRE(plan.caps.size() == 1u);
    BOOST_TEST(plan.caps[0] ==
               "idle sweep: 50000 idle connections asked, 19886 run (RLIMIT_NOFILE hard limit 20000, 28232 local ports)");
    std::vector<double> fractions;
    for (const auto& c : plan.cells)
        if (c.group == CellGroup::rate_sweep) fractions.push_back(c.rate_fraction);
    BOOST_TEST(fractions == o.rate_fractions, boost::test_tools::per_element());
    BOOST_TEST(make_plan(o, 1L << 20, 1L << 20).caps.empty());
}

BOOST_AUTO_TEST_CASE(backends_come_from_the_binarys_version) {
    const auto backends = probe_backends(echomux_binary());
    for (const char* b : {"asio", "epoll-level", "epoll-edge", "poll", "select"})
        BOOST_TEST((std::find(backends.begin(), backends.end(), b) != backends.end()), b);
    BOOST_CHECK_THROW(probe_backends("/bin/true"), std::runtime_error);
    BOOST_TEST(echomux_server("echomux", "epoll-edge").argv.back() == "--epoll-mode=edge");
    BOOST_TEST(echomux_server("echomux", "io_uring").argv.back() == "--backend=io_uring");
}

// compare's output for a cell that has runs but no valid one: an error named in the
// report, null figures in results.json, gaps in the plots' data.
BOOST_AUTO_TEST_CASE(a_cell_with_no_valid_run_is_an_error_not_a_number) {
    TempDir dir;
    CompareOptions o;
    o.out_dir = dir.path();
    o.repeats = 2;
    o.idle_sweep = {0, 100};
    o.rate_fractions = {0.5};
    o.command_line = "echomux-bench compare (test)";
    const Plan plan = make_plan(o, 1L << 20, 1L << 20);
    const std::vector<ServerSpec> servers = {{"good", {"good"}}, {"stalls", {"stalls"}}};
    Results results;
    for (const auto& cell : plan.cells) {
        CellRuns& good = results["good"][cell.id];
        good.workload = cell.workload;
        good.runs = {measured(), measured()};
        CellRuns& bad = results["stalls"][cell.id];
        bad.workload = cell.workload;
        bad.runs = {stalled(), stalled()};
    }
    results["stalls"]["rate-50pct"].runs.clear();
    results["stalls"]["rate-50pct"].not_run = "no saturation figure";
    const Comparison c{o, servers, plan, results};
    write_results_json(c);
    write_report(c);
    write_runs_csv(c);
    write_hgrm_files(c);
    BOOST_TEST(write_plots(c), read_file(dir.path() + "/gnuplot.log"));

    const std::string md = read_file(dir.path() + "/report.md");
    BOOST_TEST(contains(md, "## Errors: cells with no figure\n\n- stalls pingpong-64B-1c: no valid run of 2: the "
                            "server stopped answering: no reply for 1.9 s\n"),
               md);
    BOOST_TEST(contains(md, "- stalls rate-50pct: not run: no saturation figure\n"), md);
    BOOST_TEST(contains(md, "| stalls | – | – | – | – | – | – | – | – | – | – | – | – | 0 of 2 | 0 |"), md);
    BOOST_TEST(contains(md, "- stalls: invalid (2 of 2 runs): the server stopped answering: no reply for 1.9 s"), md);
    BOOST_TEST(!has_negative_number(md), md);
    // The regime check: each figure with the regime its utilisation puts it in (server 75 %, client 99 %).
    BOOST_TEST(contains(md, "| good | 7.50 | 75 | client-bound | – | 7.50 | 75 | client-bound | – | 1.00x |"), md);
    BOOST_TEST(contains(md, "| stalls | – | – | – | – | – | – | – | – | – |"), md);

    BOOST_TEST(schema_verdict(dir.path() + "/results.json") == "valid");
    const json::value doc = json::parse(read_file(dir.path() + "/results.json"));
    int errors = 0;
    for (const auto& cell : doc.as_object().at("cells").as_array()) {
        const auto& o = cell.as_object();
        if (o.at("server").as_string() != "stalls") continue;
        ++errors;
        BOOST_TEST(o.at("error").is_string());
        BOOST_TEST(o.at("figures").as_object().at("requests_per_second").is_null());
    }
    BOOST_TEST(errors == static_cast<int>(plan.cells.size()));

    // Gaps, not numbers: gnuplot skips '?' (set datafile missing '?').
    BOOST_TEST(contains(read_file(dir.path() + "/requests.dat"), "\nstalls ? ? ? ? ? ? ? ? ?\n"));  // 1, 50, 500 connections
    BOOST_TEST(contains(read_file(dir.path() + "/plots.gp"), "set datafile missing '?'"));
    const std::string csv = read_file(dir.path() + "/runs.csv");
    BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * static_cast<long>(plan.cells.size()) * 2 - 2);
    BOOST_TEST(::access((dir.path() + "/hgrm/good-pingpong-64B-50c.hgrm").c_str(), R_OK) == 0);
    BOOST_TEST(::access((dir.path() + "/hgrm/stalls-pingpong-64B-50c.hgrm").c_str(), F_OK) != 0);
}

// The real binary: `run --json` validates, `--csv` is a header and one line of the same
// width, and `--hgrm` holds every latency sample the run counted.
BOOST_AUTO_TEST_CASE(run_outputs_from_a_live_server_are_well_formed) {
    Server server;
    TempDir dir;
    const std::string port = std::to_string(server.port()), pid = std::to_string(server.process().pid());
    const std::vector<std::string> common = {"run",      "--port",   port, "--connections", "4", "--warmup", "0",
                                             "--duration", "0.3", "--server-pid", pid};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = common;
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    const Run j = bench(with({"--json", "--hgrm", dir.path() + "/run.hgrm"}));
    BOOST_TEST(j.status == 0, j.err);
    std::ofstream(dir.path() + "/run.json") << j.out;
    BOOST_TEST(schema_verdict(dir.path() + "/run.json") == "valid");
    const json::value doc = json::parse(j.out);
    const auto& result = object_at(doc, "result");
    BOOST_TEST(result.at("valid").as_bool());
    BOOST_TEST(result.at("server_cpu_seconds").is_double());
    const auto samples = result.at("latency_ns").as_object().at("count").to_number<std::int64_t>();
    BOOST_TEST(samples > 0);
    const auto& arguments = doc.as_object().at("arguments").as_array();
    BOOST_TEST(arguments.size() == common.size() + 3);
    BOOST_TEST(arguments.at(0).as_string() == "run");
    BOOST_TEST(arguments.at(2).as_string() == port);
    const std::string hgrm = read_file(dir.path() + "/run.hgrm");
    BOOST_TEST(contains(hgrm, "Total count    = " + std::string(12 - std::to_string(samples).size(), ' ') +
                                  std::to_string(samples) + "]"),
               hgrm);

    const Run c = bench(with({"--csv"}));
    BOOST_TEST(c.status == 0, c.err);
    std::istringstream lines(c.out);
    std::string header, line, extra;
    std::getline(lines, header);
    std::getline(lines, line);
    BOOST_TEST(!std::getline(lines, extra));
    BOOST_TEST(header.rfind("server,cell,repeat,workload,", 0) == 0, header);
    BOOST_TEST(std::count(header.begin(), header.end(), ',') == std::count(line.begin(), line.end(), ','), line);
    BOOST_TEST(line.rfind("127.0.0.1:" + port + ",pingpong 64 B x 4 connections,1,pingpong,64,4,", 0) == 0, line);

    const Run both = bench(with({"--json", "--csv"}));
    BOOST_TEST(both.status == 2);
    BOOST_TEST(contains(both.err, "--json and --csv cannot be used together"), both.err);
}

// compare end to end, small: one backend, the reference loop and a server that never
// starts. The dead one's cells are errors (exit 1, named), the rest are figures, and
// results.json validates.
BOOST_AUTO_TEST_CASE(compare_names_a_server_with_no_valid_run_and_exits_1) {
    TempDir dir;
    const Run r = bench({"compare", "--quick", "--out", dir.path(), "--backends", "epoll-level", "--idle-sweep", "0",
                         "--rate-sweep", "0.5", "--server", "never=exit 3 {port}"},
                        120s);
    BOOST_TEST(r.status == 1, r.err);
    BOOST_TEST(contains(r.err, "never pingpong-64B-50c: no figure: not run: the server did not start"), r.err);
    const std::string md = read_file(dir.path() + "/report.md");
    BOOST_TEST(contains(md, "- never pingpong-64B-50c: not run: the server did not start\n"), md);
    BOOST_TEST(std::regex_search(md, std::regex("\\| epoll-level \\| [0-9]+ \\|")), md);
    BOOST_TEST(contains(md, "## Regime check"), md);
    BOOST_TEST(contains(md, "## Latency vs offered rate"), md);
    BOOST_TEST(schema_verdict(dir.path() + "/results.json") == "valid");
    BOOST_TEST(contains(read_file(dir.path() + "/requests.dat"), "\nnever ? ? ?\n"));
    for (const char* png : {"requests.png", "cpu.png", "latency.png", "idle.png", "rate.png"})
        BOOST_TEST(read_file(dir.path() + "/" + png).substr(1, 3) == "PNG", png);
    const std::string hgrm = read_file(dir.path() + "/hgrm/epoll-level-pingpong-64B-50c.hgrm");
    BOOST_TEST(contains(hgrm, "#[Buckets ="), hgrm);
}
