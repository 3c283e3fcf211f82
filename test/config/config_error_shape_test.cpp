// SPDX-License-Identifier: BSL-1.0
// Every configuration error has one shape, whatever found it: "echomux: configuration error:
// WHERE: WHAT" on one line, WHERE being `file PATH` (`:LINE` when a line is at fault),
// `env NAME` or `command line` (issue 26: some said `file`, some only the path).
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <regex>

using namespace echomux::test;

BOOST_AUTO_TEST_CASE(every_configuration_error_says_where_then_what) {
    const std::string dir = temp_dir_until_exit("echomux-shape");
    const std::string fifo = dir + "/fifo.conf";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto conf = [](const std::string& text) { return std::vector<std::string>{"--config", write_conf(text)}; };
    const std::vector<std::pair<std::vector<std::string>, std::map<std::string, std::string>>> cases = {
        {{"--config", dir + "/missing.conf"}, {}},
        {{"--config", dir}, {}},
        {{"--config", fifo}, {}},
        {conf("colour = red\n"), {}},
        {conf("port\n"), {}},
        {conf("port = 1\nport = 2\n"), {}},
        {conf("port = 010\n"), {}},
        {conf("backend = epoll-edge\nepoll_mode = level\n"), {}},
        {conf("mode = prefix\n"), {}},
        {conf("port = 9100\nmetrics_port = 9100\n"), {}},
        {{}, {{"ECHOMUX_CONFIG", dir + "/missing.conf"}}},
        {{}, {{"ECHOMUX_CONFIG", ""}}},
        {{}, {{"ECHOMUX_MODE", "lower"}}},
        {{"--mode=lower"}, {}},
        {{"--por=5"}, {}},
        {{"--greeting", "--port=1"}, {}},
        {{"7007"}, {}},
        {{"--port"}, {}},
        {{"--help=yes"}, {}},
    };
    const std::regex shape("echomux: configuration error: (file /[^:\n]+(:[0-9]+)?|env ECHOMUX_[A-Z_]+|command line): "
                           "[^\n]+\n");
    for (auto [args, env] : cases) {
        args.push_back("--print-config");
        const Run r = run(args, env);
        BOOST_TEST(is_config_error(r), args.front() << ": " << r.err);
        BOOST_TEST(std::regex_match(r.err, shape), r.err);
    }
}
