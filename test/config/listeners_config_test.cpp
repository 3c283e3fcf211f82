// SPDX-License-Identifier: BSL-1.0
// [listener NAME] sections and tls_port: what a section may set, what it inherits, and each
// mistake as one line naming the file and line (exit 2).
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;

BOOST_AUTO_TEST_SUITE(listener_sections)

BOOST_AUTO_TEST_CASE(print_config_shows_each_listener_with_where_each_value_came_from) {
    const auto conf = write_conf("greeting = hi\n\n[listener up]\nport = 7008\nmode = upper\n");
    const Run r = run({"--config", conf, "--print-config"});
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
    const std::string section = r.out.substr(r.out.find("\n[listener up]\n"));
    BOOST_TEST(contains(section, "port = 7008                      # file " + conf + ":4\n"), section);
    BOOST_TEST(contains(section, "mode = upper                     # file " + conf + ":5\n"), section);
    BOOST_TEST(contains(section, "greeting = hi                    # as main: file " + conf + ":1\n"), section);
    BOOST_TEST(!contains(section, "backend ="), "the whole server's keys are printed once, before the sections");
    // Read back, the printed file is the same configuration.
    const Run again = run({"--config", write_conf(r.out), "--print-config"});
    BOOST_REQUIRE_MESSAGE(again.status == 0, again.err);
    BOOST_TEST(contains(again.out, "\n[listener up]\nlisten = 0.0.0.0"), again.out);
}

BOOST_AUTO_TEST_CASE(a_whole_server_key_in_a_section_names_the_line) {
    const auto conf = write_conf("port = 1\n[listener x]\nport = 2\nthreads = 4\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, conf + ":4: threads is one setting for the whole server, not per listener"), r.err);
}

BOOST_AUTO_TEST_CASE(bad_section_headers_and_names_are_refused) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[listener]\n", ":1: expected a section header [listener NAME], not '[listener]'"},
        {"[listener a\n", ":1: expected a section header [listener NAME], not '[listener a'"},
        {"[listener Caps]\n", ":1: listener name 'Caps': must be 1-32 of a-z, 0-9, _ and -, starting with a letter"},
        {"[listener main]\n", ":1: listener name 'main' is the listener the keys before any section set"},
        {"[listener a]\nport = 2\n[listener a]\n", ":3: listener 'a' again (first at file "},
        {"[listener a]\nport = 2\nport = 3\n", ":3: key 'port' is set more than once (first on line 2)"},
    };
    for (const auto& [text, message] : cases) {
        const auto conf = write_conf(text);
        const Run r = run({"--config", conf});
        BOOST_TEST(is_config_error(r), text << ": " << r.err);
        BOOST_TEST(contains(r.err, conf + message), text << ": " << r.err);
    }
}

BOOST_AUTO_TEST_CASE(a_bad_value_in_a_section_names_the_listener_and_the_line) {
    const auto conf = write_conf("[listener loud]\nport = 2\nmode = shout\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "listener loud: file " + conf + ":3: mode = 'shout': must be one of"), r.err);
    // Rules between keys hold per listener: prefix mode without a prefix.
    const auto prefix = write_conf("[listener p]\nport = 2\nmode = prefix\n");
    BOOST_TEST(contains(run({"--config", prefix}).err, "listener p: file " + prefix + ":3: mode = prefix: set prefix too"));
}

BOOST_AUTO_TEST_CASE(two_listeners_on_one_port_are_refused_naming_both) {
    const auto conf = write_conf("port = 7007\n[listener a]\nport = 7007\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, conf + ":3: listener a: port = 7007 is listener main's too (file " + conf + ":1)"), r.err);
    // A section without a port would take the main one's: the same mistake.
    const auto none = write_conf("[listener a]\nmode = upper\n");
    BOOST_TEST(contains(run({"--config", none}).err, "listener a: port = 7007 is listener main's too"));
    // Different addresses that do not overlap may share a port number.
    const auto apart = write_conf("listen = 127.0.0.1\nport = 7007\n[listener a]\nlisten = 127.0.0.2\nport = 7007\n");
    BOOST_TEST(run({"--config", apart, "--check-config"}).status == 0);
}

BOOST_AUTO_TEST_CASE(tls_port_needs_a_certificate_and_no_listener_of_its_name) {
    const Run bare = run({"--tls-port=7443"});
    BOOST_TEST(is_config_error(bare), bare.err);
    BOOST_TEST(contains(bare.err, "command line: tls_port = '7443': set tls_cert (and tls_key) too"), bare.err);
    const auto conf = write_conf("tls_port = 7443\ntls_cert = /x.pem\n[listener tls]\nport = 7444\n");
    const Run clash = run({"--config", conf});
    BOOST_TEST(is_config_error(clash), clash.err);
    BOOST_TEST(contains(clash.err, conf + ":1: tls_port = '7443' adds a listener named tls, and file " + conf +
                                       ":3 has one: use one of them"),
               clash.err);
}

BOOST_AUTO_TEST_SUITE_END()
