// SPDX-License-Identifier: BSL-1.0
// echomux-bench's HdrHistogram: percentiles of constructed samples, worked out by hand from
// HdrHistogram's layout (3 significant digits: 2048 sub-buckets, a bucket of values from
// 2^k to 2^(k+1) counted in steps of 2^(k-10)), and the .hlog encoding read back.
#define BOOST_TEST_MODULE echomux bench histogram
#include "tools/bench/histogram.hpp"
#include "tools/bench/hgrm.hpp"
#include "tools/bench/hlog.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <cmath>
#include <fstream>
#include <regex>

using echomux::bench::Histogram;

namespace {
Histogram one_to(std::uint64_t n) {
    Histogram h;
    for (std::uint64_t v = 1; v <= n; ++v) h.record(v);
    return h;
}
}  // namespace

BOOST_AUTO_TEST_CASE(percentiles_of_one_to_ten_thousand_are_exact_to_three_digits) {
    const Histogram h = one_to(10000);
    BOOST_TEST(h.count() == 10000u);
    // Below 2048 every value is its own bucket.
    BOOST_TEST(h.percentile(0.1) == 1000u);
    BOOST_TEST(h.min() == 1u);
    // 4096..8191 in steps of 4: the 5000th sample shares 5000..5003, reported as 5003.
    BOOST_TEST(h.percentile(0.5) == 5003u);
    BOOST_TEST(h.percentile(0.95) == 9503u);
    // 8192..16383 in steps of 8: 9896..9903, 9984..9991, 10000..10007.
    BOOST_TEST(h.percentile(0.99) == 9903u);
    BOOST_TEST(h.percentile(0.999) == 9991u);
    BOOST_TEST(h.max() == 10007u);
    for (double p : {0.5, 0.9, 0.95, 0.99, 0.999, 0.9999}) {
        const double exact = std::round(p * 10000);
        BOOST_TEST(std::abs(static_cast<double>(h.percentile(p)) - exact) / exact <= 0.001, p);
    }
}

BOOST_AUTO_TEST_CASE(a_bimodal_sample_keeps_its_tail) {
    Histogram h;
    h.record(100'000, 990);         // 100 us: 65536..131071 in steps of 64, 99968..100031
    h.record(1'000'000'000, 10);    // 1 s: steps of 2^19, 999817216..1000341503
    BOOST_TEST(h.percentile(0.5) == 100'031u);
    BOOST_TEST(h.percentile(0.99) == 100'031u);
    BOOST_TEST(h.percentile(0.991) == 1'000'341'503u);
    BOOST_TEST(h.percentile(0.999) == 1'000'341'503u);
    BOOST_TEST(h.max() == 1'000'341'503u);
    // The mean of the buckets' middles: (990 x 100000 + 10 x 1000079360) / 1000.
    BOOST_TEST(h.mean() == (990.0 * 100'000 + 10.0 * 1'000'079'360) / 1000);
}

BOOST_AUTO_TEST_CASE(merged_histograms_equal_one_that_saw_every_sample) {
    Histogram a, b, all;
    for (std::uint64_t v = 1; v < 200'000; v += 7) (v % 2 ? a : b).record(v * 13), all.record(v * 13);
    a.merge(b);
    BOOST_TEST(a.count() == all.count());
    BOOST_TEST(a.counts() == all.counts());
    BOOST_TEST(a.max() == all.max());
}

BOOST_AUTO_TEST_CASE(values_beyond_an_hour_are_counted_at_the_top) {
    Histogram h;
    h.record(Histogram::kHighest * 5);
    BOOST_TEST(h.count() == 1u);
    BOOST_TEST(h.max() == Histogram::highest_equivalent(Histogram::kHighest));
}

BOOST_AUTO_TEST_CASE(the_encoding_is_hdrhistograms_v2_compressed_and_reads_back) {
    Histogram h = one_to(3000);
    h.record(5'000'000, 2);
    const std::string text = echomux::bench::encode_histogram(h);
    // "HISTF": base64 of the compression cookie 0x1c849314, as in every HdrHistogram log.
    BOOST_TEST(text.rfind("HISTF", 0) == 0u, text);
    unsigned char raw[8];
    BOOST_TEST(EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(text.data()), 8) == 6);
    BOOST_TEST((raw[0] == 0x1c && raw[1] == 0x84 && raw[2] == 0x93 && raw[3] == 0x14));
    const Histogram back = echomux::bench::decode_histogram(text);
    BOOST_TEST(back.counts() == h.counts());
    BOOST_TEST(back.count() == h.count());
    BOOST_TEST(back.percentile(0.999) == h.percentile(0.999));
    BOOST_CHECK_THROW(echomux::bench::decode_histogram("HISTFAAAAAAAAAA="), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(an_interval_log_round_trips) {
    std::vector<echomux::bench::LoggedInterval> intervals(3);
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        intervals[i].start = 0.5 * static_cast<double>(i);
        intervals[i].length = 0.5;
        for (std::uint64_t v = 1; v <= 1000 * (i + 1); ++v) intervals[i].histogram.record(v * 1000);
    }
    const std::string log = echomux::bench::hlog(intervals, 1765000000.25);
    BOOST_TEST(log.rfind("#[Histogram log format version 1.3]\n#[StartTime: 1765000000.250 (seconds since epoch), ", 0) == 0u,
               log);
    BOOST_TEST(log.find("\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
                        "0.000,0.500,1.000,HISTF") != std::string::npos,
               log);
    const auto back = echomux::bench::read_hlog(log);
    BOOST_REQUIRE(back.size() == intervals.size());
    Histogram merged, merged_back;
    for (std::size_t i = 0; i < back.size(); ++i) {
        BOOST_TEST(back[i].start == intervals[i].start);
        BOOST_TEST(back[i].length == intervals[i].length);
        BOOST_TEST(back[i].histogram.counts() == intervals[i].histogram.counts());
        merged.merge(intervals[i].histogram);
        merged_back.merge(back[i].histogram);
    }
    BOOST_TEST(merged_back.percentile(0.99) == merged.percentile(0.99));
}

BOOST_AUTO_TEST_CASE(the_hgrm_footer_names_the_layout) {
    const std::string text = echomux::bench::hgrm(one_to(10000));
    BOOST_TEST(text.find("#[Max     =       10.007, Total count    =        10000]\n") != std::string::npos, text);
    BOOST_TEST(text.find("#[Buckets =           32, SubBuckets     =         2048]\n") != std::string::npos, text);
    BOOST_TEST(text.find("       5.003 0.500000000000       5003           2.00\n") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(an_open_loop_run_logs_every_request_and_both_latencies) {
    using namespace echomux::test;
    Server server;
    TempDir dir;
    const std::string log = dir.path() + "/run.hlog";
    const Run r = run_to_end({tool_binary("echomux-bench"), "run", "--port", std::to_string(server.port()), "--rate",
                              "2000", "--connections", "4", "--warmup", "0", "--duration", "0.5", "--interval", "0.25",
                              "--hlog", log, "--percentiles", "50,99.99", "--json"});
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(r.out, m, std::regex(R"("result":\{.*?"requests":([0-9]+),)")));
    const std::uint64_t requests = std::stoull(m[1]);
    BOOST_TEST(std::regex_search(r.out, std::regex(R"("percentiles":\{"50":[0-9]+,"99.99":[0-9]+\})")), r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex(R"("uncorrected_latency_ns":\{"count":)" + std::to_string(requests))),
               r.out);
    std::ifstream file(log);
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto intervals = echomux::bench::read_hlog(text);
    BOOST_REQUIRE(intervals.size() == 2u);
    BOOST_TEST(intervals[1].start == 0.25);
    BOOST_TEST(intervals[0].histogram.count() + intervals[1].histogram.count() == requests);
}
