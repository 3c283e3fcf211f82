// SPDX-License-Identifier: BSL-1.0
// The key table's views agree: what --print-config prints, the server reads back to the
// same settings, and every key it knows is documented where operators look for it.
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace echomux::test;

namespace {

// "key = value" of each --print-config line, without the "# source" comment.
std::vector<std::string> assignments(const std::string& print_config) {
    std::vector<std::string> out;
    std::istringstream lines(print_config);
    for (std::string line; std::getline(lines, line);) {
        std::string a = line.substr(0, line.find(" #"));
        a.erase(a.find_last_not_of(' ') + 1);
        out.push_back(a);
    }
    return out;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(print_config_read_back_as_a_conf_file_gives_the_same_settings) {
    const auto conf = write_conf("listen = 127.0.0.1\nmode = prefix\nprefix = ${HOSTNAME} %p:\nidle_timeout = 250ms\n");
    const std::vector<std::pair<std::vector<std::string>, std::map<std::string, std::string>>> cases = {
        {{}, {}},  // the defaults, metrics_listen following listen
        {{"--config", conf, "--max-buffer-bytes=1M", "--greeting=hi %p", "--access-log=on"},
         {{"ECHOMUX_BACKEND", "epoll-edge"}, {"ECHOMUX_PROXY_PROTOCOL", "optional"}, {"ECHOMUX_LOG_FORMAT", "logfmt"}}},
        {{"--backend=auto", "--epoll-mode=edge", "--udp=on", "--metrics-port=9100"}, {}},
    };
    for (const auto& [args, env] : cases) {
        std::vector<std::string> first_args = args;
        first_args.push_back("--print-config");
        const Run first = run(first_args, env);
        BOOST_REQUIRE_MESSAGE(first.status == 0, first.err);
        const Run again = run({"--config", write_conf(first.out), "--print-config"});
        BOOST_REQUIRE_MESSAGE(again.status == 0, again.err << "\nfrom:\n" << first.out);
        BOOST_TEST(assignments(again.out) == assignments(first.out), boost::test_tools::per_element());
        BOOST_TEST(!contains(again.out, "# default"), "every key came from the file:\n" << again.out);
    }
}

// A key added to the table and not to conf/echomux.conf (the source of echomux.conf(5)) or
// the README's key table fails here, naming it.
BOOST_AUTO_TEST_CASE(every_key_is_documented_in_the_shipped_conf_and_the_readme) {
    const Run r = run({"--print-config"});
    BOOST_REQUIRE(r.status == 0);
    const std::string conf = file_text(ECHOMUX_SOURCE_DIR "/conf/echomux.conf");
    const std::string readme = file_text(ECHOMUX_SOURCE_DIR "/README.md");
    const auto keys = assignments(r.out);
    BOOST_TEST(keys.size() >= 25u);
    for (const auto& a : keys) {
        const std::string key = a.substr(0, a.find(' '));
        const bool in_conf = contains(conf, "\n" + key + " =") || contains(conf, "\n# " + key + " =");
        BOOST_TEST(in_conf, key << ": not in conf/echomux.conf (each key, commented, with its default)");
        BOOST_TEST(contains(readme, "\n| `" + key + "` | "), key << ": not in the README's key table");
    }
}
