// SPDX-License-Identifier: BSL-1.0
// What echomux-bench compare reports: medians and ranges of the valid repeats, cells with no
// valid run named as errors (never a number), and the outputs of a run against a live server.
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
    o.full = true;
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
    const Comparison c{o, servers, plan, results, plan.cells.size()};
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
