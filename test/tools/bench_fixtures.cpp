// SPDX-License-Identifier: BSL-1.0
#include "bench_fixtures.hpp"

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cctype>
#include <fstream>
#include <iterator>

namespace echomux::test {

using bench::Result;
using bench::Workload;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Run run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    return run_to_end(argv, {}, timeout);
}

Run bench(std::vector<std::string> args, std::chrono::milliseconds timeout) {
    args.insert(args.begin(), tool_binary("echomux-bench"));
    return run(args, timeout);
}

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
    r.intervals.push_back({0, 1, 100000, 6400000, 0, 250000, {}});
    r.intervals.push_back({1, 1, 100000, 6400000, 0, 0, {}});
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

bool has_negative_number(const std::string& text) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
        if (text[i] == '-' && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
            (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))))
            return true;
    return false;
}

}  // namespace echomux::test
