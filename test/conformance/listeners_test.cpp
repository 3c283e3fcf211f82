// SPDX-License-Identifier: BSL-1.0
// Several listeners in one server, once per backend: each port with its own settings
// (mode, greeting, TLS), one max_connections for all, the listener named in metrics and
// the access log, and a reload that reaches a listener's settings.
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <fstream>
#include <string>

using namespace echomux::test;
using echomux::Fd;

namespace {

struct ConfFile {
    TempDir dir{"echomux-listeners"};
    std::string path = dir.path() + "/echomux.conf";
    void write(const std::string& text) const { std::ofstream(path) << text; }
};

const std::string kSections =
    "[listener up]\nport = 0\nmode = upper\ngreeting = up on %l\n\n"
    "[listener tagged]\nport = 0\nmode = prefix\nprefix = [tagged]\n";

// "up on 127.0.0.1:PORT\n": the up listener's greeting.
std::size_t up_greeting_size(int port) { return 17 + std::to_string(port).size(); }

std::string exchange(int port, const std::string& bytes, std::size_t expected) {
    Fd c = connect_to(port);
    send_all(c.get(), bytes);
    return recv_exact(c.get(), expected);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(listeners)

BOOST_AUTO_TEST_CASE(each_listener_answers_with_its_own_settings_beside_the_main_one) {
    ConfFile conf;
    conf.write("greeting = main\n" + kSections);
    Server server({"--config", conf.path, "--access-log=on"});
    const int up = server.listener_port("up"), tagged = server.listener_port("tagged");
    BOOST_TEST(up != server.port());
    BOOST_TEST(tagged != up);
    BOOST_TEST(exchange(server.port(), "hello\n", 11) == "main\nhello\n");
    BOOST_TEST(exchange(up, "hello\n", up_greeting_size(up) + 6) == "up on 127.0.0.1:" + std::to_string(up) + "\nHELLO\n");
    // tagged sets no greeting: the main listener's.
    BOOST_TEST(exchange(tagged, "hello\n", 19) == "main\n[tagged]hello\n");
    BOOST_TEST(server.process().wait_for_err("access listener=up client=", 5s), server.process().err());
    BOOST_TEST(server.process().wait_for_err("access listener=tagged client=", 5s), server.process().err());
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("accepted") == 3u);
}

BOOST_AUTO_TEST_CASE(tls_port_serves_tls_while_the_main_port_stays_plaintext) {
    const std::string dir = tls_cert_dir();
    const int tls_port = free_port();  // tls_port = 0 is "none"
    Server server({"--tls-port=" + std::to_string(tls_port), "--tls-cert=" + dir + "/server.pem", "--tls-key=" + dir + "/server.key"});
    BOOST_TEST(exchange(server.port(), "plain\n", 6) == "plain\n");
    BOOST_REQUIRE(server.listener_port("tls") == tls_port);
    TlsClient c(tls_port, verified_by(dir + "/ca.pem"));
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_REQUIRE(c.write_all("secret\n"));
    BOOST_TEST(c.read_exact(7) == "secret\n");
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
}

// max_connections counts every listener's connections together: one open on each of two
// listeners fills max_connections = 2, and a third, on either, is closed at once.
BOOST_AUTO_TEST_CASE(max_connections_bounds_all_listeners_together) {
    ConfFile conf;
    conf.write(kSections);
    Server server({"--config", conf.path, "--max-connections=2"});
    const int up = server.listener_port("up");
    Fd first = connect_to(server.port());
    send_all(first.get(), "a");
    BOOST_REQUIRE(recv_exact(first.get(), 1) == "a");
    Fd other = connect_to(up);
    BOOST_REQUIRE(recv_exact(other.get(), up_greeting_size(up)).rfind("up on ", 0) == 0);
    for (int port : {server.port(), up, server.listener_port("tagged")}) {
        Fd extra = connect_to(port);
        BOOST_TEST(peer_closed_within(extra.get(), 5000), "port " << port);
    }
    send_all(first.get(), "b");  // the two admitted ones still echo
    BOOST_TEST(recv_exact(first.get(), 1) == "b");
    server.stop();
    BOOST_TEST(server.counter("rejected") == 3u);
}

BOOST_AUTO_TEST_CASE(metrics_count_each_listener_under_its_name) {
    ConfFile conf;
    conf.write(kSections);
    Server server = Server::with_metrics({"--config", conf.path});
    const int up = server.listener_port("up");
    for (int i = 0; i < 3; ++i) BOOST_TEST(exchange(up, "x\n", up_greeting_size(up) + 2).substr(up_greeting_size(up)) == "X\n");
    BOOST_TEST(exchange(server.port(), "y", 1) == "y");
    const auto accepted = [&](const std::string& name) {
        return wait_for_metric(server.metrics_port(), "echomux_connections_accepted_total{listener=\"" + name + "\"}",
                               [](long long) { return true; });
    };
    BOOST_TEST(accepted("main") == 1);
    BOOST_TEST(accepted("up") == 3);
    BOOST_TEST(accepted("tagged") == 0);
    const std::string page = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(metric_sample(page, "echomux_listener_info{listener=\"tagged\",mode=\"prefix\"}") == 1);
}

// A reload reaches a listener's keys (its own, and those it takes from the main listener);
// adding a listener takes a restart and is said so, while every listener serves on.
BOOST_AUTO_TEST_CASE(a_reload_applies_a_listeners_settings_and_names_a_new_listener) {
    ConfFile conf;
    conf.write("greeting = one\n" + kSections);
    Server server({"--config", conf.path});
    const int up = server.listener_port("up"), tagged = server.listener_port("tagged");
    conf.write("greeting = two\n" + kSections + "[listener more]\nport = 0\n");
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 10s));
    const std::string log = server.process().err();
    BOOST_TEST(log.find("reload: tagged.greeting = two\n") != std::string::npos, log);
    BOOST_TEST(log.find("reload: the listeners are now main up tagged more: adding or removing one takes a restart; "
                        "still main up tagged\n") != std::string::npos,
               log);
    BOOST_TEST(exchange(server.port(), "a", 5) == "two\na");
    BOOST_TEST(exchange(tagged, "b\n", 14) == "two\n[tagged]b\n");
    BOOST_TEST(exchange(up, "c\n", up_greeting_size(up) + 2).substr(up_greeting_size(up)) == "C\n");
}

BOOST_AUTO_TEST_SUITE_END()
