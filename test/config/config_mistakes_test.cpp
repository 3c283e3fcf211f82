// SPDX-License-Identifier: BSL-1.0
// Mistakes that used to pass as something else (issue 26): a flag without its value took the
// next flag as its value, `port = 010` was port 10, metrics_port = port failed only at bind
// time blaming "another process". Each is now a configuration error: one line, exit 2.
#include "config_run.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;

BOOST_AUTO_TEST_CASE(a_flag_without_its_value_does_not_swallow_the_next_flag) {
    const Run r = run({"--greeting", "--port=19081", "--print-config"});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "command line: option '--greeting' needs a value, and the next argument "
                               "'--port=19081' is a flag; a value that starts with -- is written "
                               "--greeting=--port=19081\n"),
               r.err);
    BOOST_TEST(r.out.empty());
    // The same through a short flag, and through the conf file spelling of a key.
    const Run c = run({"-c", "--print-config"});
    BOOST_TEST(is_config_error(c), c.err);
    BOOST_TEST(contains(c.err, "option '-c' needs a value"), c.err);
    BOOST_TEST(contains(c.err, "written --config=--print-config"), c.err);
    const Run m = run({"--max_connections", "--print-config"});
    BOOST_TEST(is_config_error(m), m.err);
    BOOST_TEST(contains(m.err, "option '--max-connections' needs a value"), m.err);
}

BOOST_AUTO_TEST_CASE(a_value_that_starts_with_two_dashes_is_written_with_an_equals_sign) {
    const Run r = run({"--greeting=--port=19081", "--print-config"});
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "\ngreeting = --port=19081 "), r.out);
    BOOST_TEST(contains(r.out, "\nport = 7007 "), r.out);
    const Run spaced = run({"--greeting", "-- hello", "--print-config"});  // one dash and a blank: a value
    BOOST_TEST(spaced.status == 2, "'-- hello' starts with --: " << spaced.err);
    const Run single = run({"--greeting", "-hello-", "--print-config"});
    BOOST_REQUIRE_MESSAGE(single.status == 0, single.err);
    BOOST_TEST(contains(single.out, "\ngreeting = -hello- "), single.out);
}

BOOST_AUTO_TEST_CASE(whole_numbers_with_leading_zeros_are_refused) {
    const Run file = run({"--config", write_conf("port = 010\n"), "--print-config"});
    BOOST_TEST(is_config_error(file), file.err);
    BOOST_TEST(contains(file.err, ":1: port = '010': must be a port number from 0 to 65535, without leading zeros\n"),
               file.err);
    for (const std::string flag : {"--port=00", "--threads=01", "--max-buffer-bytes=064KiB", "--backlog=0100"}) {
        const Run r = run({flag, "--print-config"});
        BOOST_TEST(is_config_error(r), flag << ": " << r.err);
        BOOST_TEST(contains(r.err, "without leading zeros"), flag << ": " << r.err);
    }
    const Run zero = run({"--port=0", "--print-config"});
    BOOST_TEST(zero.status == 0, zero.err);
}

BOOST_AUTO_TEST_CASE(metrics_port_equal_to_port_on_overlapping_addresses_is_a_configuration_error) {
    const std::vector<std::vector<std::string>> colliding = {
        {"--port=9100", "--metrics-port=9100"},  // metrics_listen follows listen
        {"--listen=::", "--metrics-listen=127.0.0.1", "--port=9100", "--metrics-port=9100"},
        {"--listen=127.0.0.1", "--metrics-listen=0.0.0.0", "--port=9100", "--metrics-port=9100"},
        {"--listen=::1", "--metrics-listen=[::]", "--port=9100", "--metrics-port=9100"},
    };
    for (auto args : colliding) {
        args.push_back("--print-config");
        const Run r = run(args);
        BOOST_TEST(is_config_error(r), args.front() << ": " << r.err);
        BOOST_TEST(contains(r.err, "command line: metrics_port = '9100': the echo port too (port, command line)"),
                   r.err);
    }
    const std::vector<std::vector<std::string>> apart = {
        {"--listen=127.0.0.1", "--metrics-listen=127.0.0.2", "--port=9100", "--metrics-port=9100"},
        {"--listen=::1", "--metrics-listen=127.0.0.1", "--port=9100", "--metrics-port=9100"},
        {"--listen=0.0.0.0", "--metrics-listen=::1", "--port=9100", "--metrics-port=9100"},
        {"--port=0", "--metrics-port=0"},
    };
    for (auto args : apart) {
        args.push_back("--print-config");
        const Run r = run(args);
        BOOST_TEST(r.status == 0, args.front() << " " << args[1] << ": " << r.err);
    }
}

// Found before anything is bound: not exit 1 blaming "another process" for the port.
BOOST_AUTO_TEST_CASE(metrics_port_equal_to_port_stops_the_start_with_status_2) {
    const std::string port = std::to_string(free_port());
    const Run r = run({"--listen=127.0.0.1", "--port=" + port, "--metrics-port=" + port});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "metrics_port = '" + port + "': the echo port too"), r.err);
}
