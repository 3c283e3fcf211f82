// SPDX-License-Identifier: BSL-1.0
// `echomux --check-config` (-t), as `nginx -t`: the settings read exactly as a start would
// read them (conf file, ECHOMUX_* environment, flags), then exit 0 with "configuration OK"
// or 2 with the one-line error. It binds nothing, so it can run beside the server it checks
// (systemctl reload runs it before signalling).
#include "config_run.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

using namespace echomux::test;

BOOST_AUTO_TEST_CASE(a_good_conf_file_is_ok_and_exits_0) {
    const auto conf = write_conf("port = 7100\nmode = upper\n");
    for (const std::string flag : {"--check-config", "-t"}) {
        const Run r = run({flag, "--config", conf});
        BOOST_TEST(r.status == 0, flag << ": " << r.err);
        BOOST_TEST(r.out == "configuration OK: " + conf + "\n");
    }
    const Run none = run({"-t"});
    BOOST_TEST(none.status == 0, none.err);
    BOOST_TEST(none.out == "configuration OK: no conf file (defaults, environment, flags)\n");
}

BOOST_AUTO_TEST_CASE(a_bad_key_a_bad_value_or_a_fifo_exits_2_saying_what_is_wrong) {
    const std::string fifo = temp_dir_until_exit("echomux-check") + "/echomux.conf";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto bad_key = write_conf("port = 7100\ncolour = red\n");
    const auto bad_value = write_conf("port = 7100\nmode = shout\n");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {bad_key, ":2: unknown key 'colour'"},
        {bad_value, ":2: mode = 'shout': must be one of"},
        {fifo, ": cannot read it: not a regular file (a FIFO)"},
    };
    for (const auto& [path, problem] : cases) {
        const Run r = run({"--check-config", "--config", path});
        BOOST_TEST(is_config_error(r), path << ": " << r.err);
        BOOST_TEST(contains(r.err, "file " + path + problem), r.err);
        BOOST_TEST(r.out.empty(), r.out);
    }
}

// The environment and the flags are part of the check, as they are part of a start.
BOOST_AUTO_TEST_CASE(the_environment_and_flags_are_checked_with_the_file) {
    const auto conf = write_conf("port = 7100\n");
    const Run env = run({"-t", "--config", conf}, {{"ECHOMUX_MODE", "lower"}});
    BOOST_TEST(is_config_error(env), env.err);
    BOOST_TEST(contains(env.err, "env ECHOMUX_MODE: mode = 'lower'"), env.err);
    const Run flag = run({"-t", "--config", conf, "--metrics-port=7100"});
    BOOST_TEST(is_config_error(flag), flag.err);
    const Run via_env = run({"-t"}, {{"ECHOMUX_CONFIG", conf}});
    BOOST_TEST(via_env.out == "configuration OK: " + conf + "\n", via_env.err);
}

// A port someone listens on is no problem for a check: it binds nothing.
BOOST_AUTO_TEST_CASE(checking_binds_nothing) {
    const echomux::Fd held(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    BOOST_REQUIRE(::bind(held.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    BOOST_REQUIRE(::listen(held.get(), 1) == 0);
    BOOST_REQUIRE(::getsockname(held.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string port = std::to_string(ntohs(address.sin_port));
    const Run r = run({"-t", "--listen=127.0.0.1", "--port=" + port, "--udp=on"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "configuration OK: no conf file (defaults, environment, flags)\n");
}
