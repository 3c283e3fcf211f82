// SPDX-License-Identifier: BSL-1.0
// echomux-bench compare on a tiny matrix, end to end: a server that sleeps between requests
// is flagged as starved and left out of the conclusions; a forking server's CPU is its
// process tree's; progress is "cell i of N, ETA mm:ss"; an interrupted compare leaves a
// readable report marked incomplete.
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "bench_fixtures.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <regex>

using namespace echomux::test;
namespace json = boost::json;

namespace {

// 4 cells (50 connections, stream, the regime check, one rate), one run each.
std::vector<std::string> tiny(const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args = {"compare",      "--quick",  "--out",      out,   "--backends", "epoll-level",
                                     "--reference",  "",         "--idle-sweep", "0", "--rate-sweep", "0.5",
                                     "--duration",   "0.3",      "--warmup",   "0.05"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::string fixture(const std::string& kind) {
    return kind + "=" + std::string(ECHOMUX_FIXTURE_SERVER) + " " + kind + " {port}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_server_that_sleeps_between_requests_is_starved_and_excluded) {
    TempDir dir;
    const Run r = bench(tiny(dir.path(), {"--server", fixture("sleepy")}), 100s);
    // Its saturation cell has no valid run, so its rate cell has no rate: an invalid cell.
    BOOST_TEST(r.status == 1, r.err);
    BOOST_TEST(contains(r.err, "sleepy pingpong-64B-50c: NO FIGURE: no valid run of 2: starved / interfered: "), r.err);
    const std::string md = read_file(dir.path() + "/report.md");
    BOOST_TEST(contains(md, "## Starved / interfered runs: excluded from the medians and the conclusions\n\n"
                            "- sleepy pingpong-64B-50c, run 1: starved / interfered: "),
               md);
    BOOST_TEST(contains(md, "both under 25 %)"), md);
    BOOST_TEST(contains(md, "- sleepy pingpong-64B-50c, run 2: starved / interfered: "), md);  // run once more
    BOOST_TEST(std::regex_search(md, std::regex("\\| epoll-level \\| [0-9]+ \\|")), md);
    BOOST_TEST(std::regex_search(md, std::regex("\\| sleepy \\| – \\|")), md);
    BOOST_TEST(contains(md, "- epoll-level: stream 16 KiB x 50 echoes"), md);
    BOOST_TEST(!contains(md, "- sleepy: stream"), md);
    BOOST_TEST(schema_verdict(dir.path() + "/results.json") == "valid");
}

BOOST_AUTO_TEST_CASE(a_forking_servers_cpu_is_its_process_trees) {
    TempDir dir;
    // Its exit status is not the point: a process per connection may also be judged starved
    // (its children wait on the scheduler) on a busy machine.
    const Run r = bench(tiny(dir.path(), {"--server", fixture("forking")}), 100s);
    BOOST_TEST(contains(r.err, "note: the server forks ("), r.err);
    const json::value doc = json::parse(read_file(dir.path() + "/results.json"));
    int forking_runs = 0;
    for (const auto& cell : doc.at("cells").as_array()) {
        if (cell.at("server").as_string() != "forking") continue;
        for (const auto& run : cell.at("runs").as_array()) {
            // A process per connection costs a few microseconds of CPU per request at
            // least; the parent alone would show about nothing.
            const double cpu = run.at("server_cpu_seconds").to_number<double>();
            const double requests = run.at("requests").to_number<double>();
            BOOST_TEST(cpu * 1e6 / requests > 1.0, cell.at("cell").as_string());
            ++forking_runs;
        }
    }
    BOOST_TEST(forking_runs >= 3);  // 4, or 3 when its saturation cell was judged starved (then no rate cell)
}

BOOST_AUTO_TEST_CASE(an_interrupted_compare_leaves_a_readable_report_marked_incomplete) {
    TempDir dir;
    std::vector<std::string> argv = tiny(dir.path(), {"--repeats", "3"});
    argv.insert(argv.begin(), tool_binary("echomux-bench"));
    Process compare(argv);
    BOOST_REQUIRE(compare.wait_for_err("echomux-bench: cell 2 of 4 (stream-16KiB-50c), ETA ", 60s));
    compare.signal(SIGINT);
    const auto status = compare.wait(30s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 130, compare.err());
    BOOST_TEST(contains(compare.err(), "echomux-bench: cell 1 of 4 (pingpong-64B-50c), ETA "), compare.err());
    const json::value doc = json::parse(read_file(dir.path() + "/results.json"));
    const auto& progress = doc.at("progress");
    BOOST_TEST(progress.at("complete").as_bool() == false);
    BOOST_TEST(progress.at("interrupted").as_bool() == true);
    BOOST_TEST(progress.at("cells_planned").as_int64() == 4);
    const auto done = progress.at("cells_done").as_int64();
    // The cell under way when the signal came is dropped whole (unless it had just ended).
    BOOST_TEST((done >= 1 && done < 4), done);
    BOOST_TEST(doc.at("cells").as_array().size() == static_cast<std::size_t>(done));
    BOOST_TEST(schema_verdict(dir.path() + "/results.json") == "valid");
    const std::string md = read_file(dir.path() + "/report.md");
    BOOST_TEST(contains(md, "**INCOMPLETE: " + std::to_string(done) + " of 4 cells measured, then interrupted.**"), md);
    BOOST_TEST(std::regex_search(md, std::regex("\\| epoll-level \\| [0-9]+ ")), md);
    const std::string csv = read_file(dir.path() + "/runs.csv");
    BOOST_TEST(contains(csv, "\nepoll-level,pingpong-64B-50c,1,"), csv);
}
