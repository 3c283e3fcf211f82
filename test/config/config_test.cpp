// SPDX-License-Identifier: BSL-1.0
// Configuration as a user meets it: the real binary, real files, environment, flags and
// exit codes. Where settings come from and how start-up fails; config_strictness_test.cpp
// has what a careless or hostile operator may type.
#define BOOST_TEST_MODULE echomux configuration
#include "config_run.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <regex>
#include <sstream>

using namespace echomux::test;

BOOST_AUTO_TEST_CASE(precedence_is_cli_over_env_over_file_over_default) {
    const auto conf = write_conf("# test\nport = 1111\nmode = upper\nthreads = 2\nidle_timeout = 5\n");
    const Run r = run({"--config", conf, "--print-config", "--port=3333", "--max_buffer_bytes=1M"},
                      {{"ECHOMUX_PORT", "2222"}, {"ECHOMUX_THREADS", "3"}});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.out, "port = 3333"));
    BOOST_TEST(contains(r.out, "# command line"));
    BOOST_TEST(contains(r.out, "threads = 3"));
    BOOST_TEST(contains(r.out, "# env ECHOMUX_THREADS"));
    BOOST_TEST(contains(r.out, "mode = upper"));
    BOOST_TEST(contains(r.out, "# file " + conf + ":3"));
    BOOST_TEST(contains(r.out, "idle_timeout = 5"));
    BOOST_TEST(contains(r.out, "max_buffer_bytes = 1M"));  // the conf spelling works as a flag too
    BOOST_TEST(contains(r.out, "drain_timeout = 10"));
    BOOST_TEST(contains(r.out, "# default"));
}

BOOST_AUTO_TEST_CASE(env_names_the_config_file_and_cli_overrides_it) {
    const auto a = write_conf("port = 1001\n");
    const auto b = write_conf("port = 1002\n");
    BOOST_TEST(contains(run({"--print-config"}, {{"ECHOMUX_CONFIG", a}}).out, "port = 1001"));
    BOOST_TEST(contains(run({"--print-config", "-c", b}, {{"ECHOMUX_CONFIG", a}}).out, "port = 1002"));
}

BOOST_AUTO_TEST_CASE(shipped_conf_file_sets_every_key) {
    const Run r = run({"--config", ECHOMUX_SOURCE_DIR "/conf/echomux.conf", "--print-config"});
    BOOST_TEST(r.status == 0);
    // ...except metrics_listen (set, it would no longer follow listen) and epoll_mode (set,
    // it warns under every other backend).
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > 10 && line.compare(line.size() - 10, 10, "# default") == 0)
            BOOST_TEST(line.rfind("epoll_mode = ", 0) == 0, "every other key is in conf/echomux.conf: " << line);
    BOOST_TEST(contains(r.out, "# default: listen\n"), r.out);
    // ...with the built-in default as its value.
    const Run defaults = run({"--print-config"});
    auto values = [](const std::string& text) {
        std::string out;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) out += line.substr(0, line.find(" #")) + "\n";
        return out;
    };
    BOOST_TEST(values(r.out) == values(defaults.out));
}

BOOST_AUTO_TEST_CASE(unknown_key_in_file_names_key_file_and_line) {
    const auto conf = write_conf("port = 7\n\ncolour = blue\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, conf + ":3: unknown key 'colour'"), r.err);
}

BOOST_AUTO_TEST_CASE(malformed_value_in_file_names_key_file_and_line) {
    const auto conf = write_conf("mode = echo\nport = seven\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, conf + ":2: port = 'seven'"), r.err);
}

BOOST_AUTO_TEST_CASE(out_of_range_values_exit_2_naming_the_key) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--port=65536", "port"},           {"--threads=0", "threads"},
        {"--mode=lower", "mode"},           {"--max-buffer-bytes=2G", "max_buffer_bytes"},
        {"--idle-timeout=-1", "idle_timeout"}, {"--listen=localhost", "listen"},
        {"--backend=kqueue", "backend"},    {"--log-level=loud", "log_level"},
        {"--max-connections=0", "max_connections"}, {"--epoll-mode=both", "epoll_mode"},
        {"--metrics-port=http", "metrics_port"}, {"--metrics-listen=any", "metrics_listen"},
        {"--log-format=yaml", "log_format"},
    };
    for (const auto& [arg, key] : cases) {
        const Run r = run({arg});
        BOOST_TEST(r.status == 2, arg);
        BOOST_TEST(contains(r.err, "command line: " + key + " = "), arg << ": " << r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "one line: " << r.err);
    }
}

BOOST_AUTO_TEST_CASE(bad_env_value_names_the_variable) {
    const Run r = run({}, {{"ECHOMUX_MODE", "lower"}});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, "env ECHOMUX_MODE: mode = 'lower': must be one of: echo, upper"), r.err);
}

BOOST_AUTO_TEST_CASE(log_format_comes_from_env_file_or_flag_and_a_bad_one_is_named) {
    const Run r = run({}, {{"ECHOMUX_LOG_FORMAT", "yaml"}});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "env ECHOMUX_LOG_FORMAT: log_format = 'yaml': must be one of: text, logfmt, json"), r.err);
    const auto conf = write_conf("log_format = logfmt\n");
    BOOST_TEST(contains(run({"--config", conf, "--print-config"}).out, "log_format = logfmt"));
    BOOST_TEST(contains(run({"--print-config", "--log-format=json"}).out, "log_format = json "));
}

BOOST_AUTO_TEST_CASE(unknown_env_variable_is_a_warning_not_an_error) {
    const Run r = run({"--print-config"}, {{"ECHOMUX_PROT", "7"}, {"ECHOMUX_PORT", "7"}});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.err, "warn: ignoring environment variable ECHOMUX_PROT: not an echomux setting"), r.err);
    BOOST_TEST(!contains(r.err, "ECHOMUX_PORT"), r.err);
    BOOST_TEST(contains(r.out, "port = 7 "));
}

BOOST_AUTO_TEST_CASE(epoll_mode_set_with_another_backend_is_a_one_line_warning) {
    const Run flag = run({"--print-config", "--backend=poll", "--epoll-mode=edge"});
    BOOST_TEST(flag.status == 0);
    BOOST_TEST(contains(flag.err, "warn: epoll_mode = edge (command line) has no effect: backend = poll, "
                                  "and epoll_mode applies to backend = epoll only\n"),
               flag.err);
    BOOST_TEST(std::count(flag.err.begin(), flag.err.end(), '\n') == 1, flag.err);
    const Run env = run({"--print-config"}, {{"ECHOMUX_EPOLL_MODE", "level"}});
    BOOST_TEST(contains(env.err, "warn: epoll_mode = level (env ECHOMUX_EPOLL_MODE) has no effect: backend = asio"),
               env.err);
    // Where it does apply, or was left alone, nothing is said.
    for (const auto& args : {std::vector<std::string>{"--print-config", "--backend=epoll", "--epoll-mode=edge"},
                             std::vector<std::string>{"--print-config", "--backend=select"}}) {
        const Run quiet = run(args);
        BOOST_TEST(quiet.status == 0);
        BOOST_TEST(!contains(quiet.err, "epoll_mode"), quiet.err);
    }
}

BOOST_AUTO_TEST_CASE(unknown_flag_and_missing_file_exit_2) {
    const Run flag = run({"--colour=blue"});
    BOOST_TEST(flag.status == 2);
    BOOST_TEST(contains(flag.err, "colour"), flag.err);
    const Run missing = run({"--config", "/nonexistent/echomux.conf"});
    BOOST_TEST(missing.status == 2);
    BOOST_TEST(contains(missing.err, "/nonexistent/echomux.conf"), missing.err);
}

BOOST_AUTO_TEST_CASE(duplicate_key_in_file_exits_2) {
    const auto conf = write_conf("port = 1\nport = 2\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, "port"), r.err);
}

BOOST_AUTO_TEST_CASE(help_and_version_exit_0) {
    const Run help = run({"--help"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(contains(help.out, "--max-connections"));
    const Run version = run({"--version"});
    BOOST_TEST(version.status == 0);
    BOOST_TEST(contains(version.out, "echomux 0."));
}

// The CMake project version, the source revision (git describe, or "unknown" outside a
// checkout) and every backend built in.
BOOST_AUTO_TEST_CASE(version_names_the_project_version_revision_and_backends) {
    const Run r = run({"--version"});
    BOOST_TEST(r.status == 0);
    const std::string version = std::regex_replace(ECHOMUX_EXPECTED_VERSION, std::regex("\\."), "\\.");
    BOOST_TEST(std::regex_match(r.out, std::regex("echomux " + version + " \\(revision [0-9A-Za-z.+_-]+\\)\n"
                                                  "backends: asio epoll-level epoll-edge poll select io_uring\n")),
               r.out);
    BOOST_TEST(r.err.empty(), r.err);
    // Built from this git checkout: the revision names its commit (the build ran git describe).
    if (::access("/usr/bin/git", X_OK) == 0 && ::access(ECHOMUX_SOURCE_DIR "/.git", F_OK) == 0) {
        Process git({"/usr/bin/git", "-C", ECHOMUX_SOURCE_DIR, "rev-parse", "--short=7", "HEAD"});
        BOOST_REQUIRE(git.wait(10s) == 0);
        BOOST_TEST(contains(r.out, git.out().substr(0, 7)), r.out << " vs HEAD " << git.out());
    }
}

BOOST_AUTO_TEST_CASE(port_in_use_exits_1_with_a_clear_line) {
    echomux::Fd blocker(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(blocker.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(blocker.get(), 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(blocker.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    const int port = ntohs(addr.sin_port);
    const Run r = run({"--listen=127.0.0.1", "--port=" + std::to_string(port)});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use"),
               r.err);
}

BOOST_AUTO_TEST_CASE(metrics_port_in_use_exits_1_with_a_clear_line) {
    Server other;  // something listening on 127.0.0.1
    const Run r = run({"--listen=127.0.0.1", "--port=0", "--metrics-listen=127.0.0.1",
                       "--metrics-port=" + std::to_string(other.port())});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "cannot serve metrics on 127.0.0.1:" + std::to_string(other.port())), r.err);
}

// SO_REUSEPORT would let a second multi-threaded echomux share the port silently.
BOOST_AUTO_TEST_CASE(second_server_on_the_same_port_fails_even_with_threads) {
    Server first({"--threads=2"});
    const Run second = run({"--listen=127.0.0.1", "--threads=2", "--port=" + std::to_string(first.port())});
    BOOST_TEST(second.status == 1);
    BOOST_TEST(contains(second.err, "Address already in use"), second.err);
    BOOST_TEST(first.stop() == 0);
}

BOOST_AUTO_TEST_CASE(udp_keys_work_from_file_env_and_command_line) {
    const auto conf = write_conf("udp = on\nudp_rate_per_source = 0\n");
    const Run file = run({"--config", conf, "--print-config"});
    BOOST_TEST(contains(file.out, "udp = on"), file.out);
    BOOST_TEST(contains(file.out, "udp_rate_per_source = 0 "), file.out);
    const Run env = run({"--print-config"}, {{"ECHOMUX_UDP", "on"}, {"ECHOMUX_UDP_RATE_PER_SOURCE", "7"}});
    BOOST_TEST(contains(env.out, "# env ECHOMUX_UDP\n"), env.out);
    BOOST_TEST(contains(env.out, "udp_rate_per_source = 7 "), env.out);
    const Run cli = run({"--udp=on", "--udp-rate-per-source=5", "--print-config"});
    BOOST_TEST(contains(cli.out, "udp = on"), cli.out);
    BOOST_TEST(contains(cli.out, "udp_rate_per_source = 5 "), cli.out);
    const Run defaults = run({"--print-config"});
    BOOST_TEST(contains(defaults.out, "udp = off"), defaults.out);
    BOOST_TEST(contains(defaults.out, "udp_rate_per_source = 1000 "), defaults.out);
    const Run bad = run({"--udp=yes"});
    BOOST_TEST(bad.status == 2);
    BOOST_TEST(contains(bad.err, "command line: udp = 'yes': must be one of: on, off"), bad.err);
    const Run negative = run({"--udp-rate-per-source=-1"});
    BOOST_TEST(negative.status == 2);
    BOOST_TEST(contains(negative.err, "udp_rate_per_source = '-1': must be a whole number"), negative.err);
}

// Someone already serving UDP on the port: echomux says so, with one thread or several.
// The other socket has SO_REUSEPORT, as a multi-threaded echomux's have: with threads,
// echomux's own would then share the port silently, half the datagrams each, unless it
// checks first (as for TCP).
BOOST_AUTO_TEST_CASE(udp_port_in_use_exits_1_with_a_clear_line) {
    const int port = free_port();
    echomux::Fd blocker(::socket(AF_INET, SOCK_DGRAM, 0));
    const int on = 1;
    ::setsockopt(blocker.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    BOOST_REQUIRE(::bind(blocker.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    for (const char* threads : {"--threads=1", "--threads=2"}) {
        const Run r = run({"--listen=127.0.0.1", "--udp=on", threads, "--port=" + std::to_string(port)});
        BOOST_TEST(r.status == 1, threads);
        BOOST_TEST(contains(r.err, "cannot listen for UDP on 127.0.0.1:" + std::to_string(port) +
                                       ": Address already in use"),
                   r.err);
    }
}

// --listen 127.0.0.1 with a metrics port must not expose /metrics on every interface.
BOOST_AUTO_TEST_CASE(metrics_listen_defaults_to_the_listen_address) {
    const Run cli = run({"--listen=127.0.0.1", "--print-config"});
    BOOST_TEST(cli.status == 0, cli.err);
    BOOST_TEST(contains(cli.out, "metrics_listen = 127.0.0.1 "), cli.out);
    BOOST_TEST(contains(cli.out, "# default: listen\n"), cli.out);
    const auto conf = write_conf("listen = ::1\n");
    BOOST_TEST(contains(run({"--config", conf, "--print-config"}).out, "metrics_listen = ::1 "));
    BOOST_TEST(contains(run({"--print-config"}, {{"ECHOMUX_LISTEN", "[::1]"}}).out, "metrics_listen = [::1] "));
    BOOST_TEST(contains(run({"--print-config"}).out, "metrics_listen = 0.0.0.0 "));
    // Set anywhere, metrics_listen wins.
    const auto own = write_conf("listen = 127.0.0.1\nmetrics_listen = 0.0.0.0\n");
    BOOST_TEST(contains(run({"--config", own, "--print-config"}).out, "metrics_listen = 0.0.0.0"));
    BOOST_TEST(contains(run({"--listen=127.0.0.1", "--print-config"}, {{"ECHOMUX_METRICS_LISTEN", "::"}}).out,
                        "metrics_listen = ::    "));
    BOOST_TEST(contains(run({"--listen=127.0.0.1", "--metrics-listen=0.0.0.0", "--print-config"}).out,
                        "metrics_listen = 0.0.0.0"));

    // The real endpoint binds where listen says. A free_port() may be taken by another test
    // process before echomux binds it: then try another.
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int metrics_port = free_port();
        Process p({echomux_binary(), "--listen=127.0.0.1", "--port=0", "--metrics-port=" + std::to_string(metrics_port)});
        if (!p.wait_for_err("metrics on http://", 10s) && contains(p.err(), "Address already in use")) continue;
        BOOST_TEST(contains(p.err(), "metrics on http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"),
                   p.err());
        p.signal(SIGTERM);
        BOOST_TEST(p.wait(10s).value_or(-1) == 0);
        return;
    }
    BOOST_FAIL("no free metrics port in 10 attempts");
}

// As the echo listener does: a port below 1024 without the privilege gets a hint, not just
// "Permission denied". Run as nobody when we are root (setpriv, util-linux).
BOOST_AUTO_TEST_CASE(a_privileged_metrics_port_gets_the_permission_hint) {
    std::vector<std::string> argv;
    if (::geteuid() == 0) argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    for (auto a : {echomux_binary(), std::string("--port=0"), std::string("--listen=127.0.0.1"),
                   std::string("--metrics-listen=127.0.0.1"), std::string("--metrics-port=1")})
        argv.push_back(a);
    Process process(argv);
    const auto status = process.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 1);
    BOOST_TEST(process.err().find("cannot serve metrics on 127.0.0.1:1: Permission denied (ports below 1024 need "
                                  "root or CAP_NET_BIND_SERVICE)") != std::string::npos,
               process.err());
}
