// Configuration as a user meets it: the real binary, real files, environment, flags and
// exit codes.
#define BOOST_TEST_MODULE echomux configuration
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

using namespace echomux::test;

namespace {
struct Run {
    int status;
    std::string out, err;
};

Run run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), echomux_binary());
    Process p(args, ProcessOptions{std::move(env), {}, {}});
    const auto status = p.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "echomux did not exit");
    return {*status, p.out(), p.err()};
}

// A conf file in a fresh temporary directory.
std::string write_conf(const std::string& text) {
    char dir[] = "/tmp/echomux-conf-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir));
    const std::string path = std::string(dir) + "/echomux.conf";
    std::ofstream(path) << text;
    return path;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A configuration error as main() reports every one: exit 2 and exactly one line.
bool is_config_error(const Run& r) {
    return r.status == 2 && r.err.rfind("echomux: configuration error: ", 0) == 0 &&
           std::count(r.err.begin(), r.err.end(), '\n') == 1 && r.err.back() == '\n';
}
}  // namespace

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
    // ...except metrics_listen: set, it would no longer follow listen.
    BOOST_TEST(!contains(r.out, "# default\n"), "every key is in conf/echomux.conf:\n" << r.out);
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

BOOST_AUTO_TEST_CASE(unknown_env_variable_is_a_warning_not_an_error) {
    const Run r = run({"--print-config"}, {{"ECHOMUX_PROT", "7"}, {"ECHOMUX_PORT", "7"}});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.err, "warn: ignoring environment variable ECHOMUX_PROT: not an echomux setting"), r.err);
    BOOST_TEST(!contains(r.err, "ECHOMUX_PORT"), r.err);
    BOOST_TEST(contains(r.out, "port = 7 "));
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

// The loops count whole milliseconds: a shorter timeout would round to 0, which means never.
BOOST_AUTO_TEST_CASE(timeouts_below_one_millisecond_are_rejected_not_rounded_to_never) {
    for (const std::string key : {"idle-timeout", "drain-timeout"})
        for (const std::string value : {"0.0001", "0.0005s", "0.0009", "0.5ms", "0.0000000000000000000001"}) {
            const Run r = run({"--" + key + "=" + value, "--print-config"});
            BOOST_TEST(is_config_error(r), key << "=" << value << ": " << r.err);
            BOOST_TEST(contains(r.err, "from 1ms to "), r.err);
        }
    const Run ok = run({"--idle-timeout=1ms", "--drain-timeout=0", "--print-config"});
    BOOST_TEST(ok.status == 0, ok.err);
    BOOST_TEST(contains(ok.out, "idle_timeout = 1ms "));
    BOOST_TEST(run({"--idle-timeout=0", "--drain-timeout=0.001", "--print-config"}).status == 0);
}

// strtod alone would also take hex, exponents, inf, nan, a sign and leading blanks.
BOOST_AUTO_TEST_CASE(durations_are_plain_decimals_with_an_optional_unit) {
    for (const std::string value : {"0x10", "0x1p3", "1e3", "inf", "nan", "+5", "-0", " 5", "5 ", "1.5 s", "1.2.3",
                                    ".", "s", "5h", "5S", "1,5"}) {
        const Run r = run({"--idle-timeout=" + value, "--print-config"});
        BOOST_TEST(is_config_error(r), "'" << value << "': " << r.err);
        BOOST_TEST(contains(r.err, "command line: idle_timeout = '" + value + "': must be 0 or a duration"),
                   r.err);
    }
    for (const std::string value : {"300", "1.5", ".5", "250ms", "1.5s", "5m", "0", "007"})
        BOOST_TEST(run({"--idle-timeout=" + value, "--print-config"}).status == 0, value);
    // Whole numbers already take digits only.
    const Run threads = run({"--threads=0x2"});
    BOOST_TEST(is_config_error(threads), threads.err);
    BOOST_TEST(contains(threads.err, "threads = '0x2'"), threads.err);
}

// Whatever is wrong with the text, the message states the key's true range.
BOOST_AUTO_TEST_CASE(range_messages_state_the_true_minimum_and_maximum) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--max-buffer-bytes=abc", "a byte count from 1 to 1073741824"},
        {"--max-buffer-bytes=K", "a byte count from 1 to 1073741824"},
        {"--max-buffer-bytes=5000000000", "a byte count from 1 to 1073741824"},
        {"--max-buffer-bytes=99999999999999999999999", "a byte count from 1 to 1073741824"},
        {"--max-buffer-bytes=0", "a byte count from 1 to 1073741824"},
        {"--read-chunk-bytes=KiB", "a byte count from 1 to 67108864"},
        {"--read-chunk-bytes=100000000", "a byte count from 1 to 67108864"},
        {"--threads=abc", "a whole number from 1 to 256"},
        {"--max-connections=-1", "a whole number from 1 to 10000000"},
        {"--backlog=1000001", "a whole number from 1 to 1000000"},
        {"--port=x", "a port number from 0 to 65535"},
        {"--metrics-port=99999999999999999999999", "a port number from 0 to 65535"},
        {"--idle-timeout=x", "0 or a duration from 1ms to 31536000 seconds"},
        {"--drain-timeout=86401", "0 or a duration from 1ms to 86400 seconds"},
    };
    for (const auto& [arg, range] : cases) {
        const Run r = run({arg, "--print-config"});
        BOOST_TEST(is_config_error(r), arg << ": " << r.err);
        BOOST_TEST(contains(r.err, "must be " + range), arg << ": " << r.err);
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

BOOST_AUTO_TEST_CASE(directory_as_config_file_is_one_clear_error) {
    char dir[] = "/tmp/echomux-dir-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir));
    const std::string expected = "echomux: configuration error: cannot read config file " + std::string(dir) +
                                 ": Is a directory\n";
    BOOST_TEST(run({"--config", dir, "--print-config"}).err == expected);
    const Run env = run({"--print-config"}, {{"ECHOMUX_CONFIG", dir}});
    BOOST_TEST(env.status == 2);
    BOOST_TEST(env.err == expected);
}

// An empty path is a deployment template that lost its variable, not "no conf file".
BOOST_AUTO_TEST_CASE(empty_config_path_is_an_error_naming_where_it_came_from) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--config", ""}, {"-c", ""}}) {
        const Run r = run(args);
        BOOST_TEST(is_config_error(r), r.err);
        BOOST_TEST(contains(r.err, "command line: config = '': must be the path of a conf file"), r.err);
    }
    const Run env = run({}, {{"ECHOMUX_CONFIG", ""}});
    BOOST_TEST(is_config_error(env), env.err);
    BOOST_TEST(contains(env.err, "env ECHOMUX_CONFIG: config = '': must be the path of a conf file"), env.err);
    // The command line still overrides the variable.
    const auto conf = write_conf("port = 1003\n");
    BOOST_TEST(contains(run({"--config", conf, "--print-config"}, {{"ECHOMUX_CONFIG", ""}}).out, "port = 1003"));
}

// Windows editors start a UTF-8 file with a byte order mark and end lines with CR LF.
BOOST_AUTO_TEST_CASE(conf_file_with_a_utf8_bom_and_crlf_lines_is_read) {
    const auto conf = write_conf("\xEF\xBB\xBFport = 1234\r\n# comment\r\nmode = upper  \r\n\r\nlisten=127.0.0.1\r\n");
    const Run r = run({"--config", conf, "--print-config"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "port = 1234 "), r.out);
    BOOST_TEST(contains(r.out, "# file " + conf + ":1\n"), r.out);
    BOOST_TEST(contains(r.out, "mode = upper "), r.out);
    BOOST_TEST(contains(r.out, "listen = 127.0.0.1 "), r.out);
}

BOOST_AUTO_TEST_CASE(conf_line_that_is_not_key_equals_value_names_file_and_line) {
    const auto conf = write_conf("port = 1\n\nmode\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, conf + ":3: expected key = value, not 'mode'"), r.err);
    // Sections are not a feature: say where, not "unknown key 'server.port'".
    const auto sections = write_conf("# echomux\n[server]\nport = 5\n");
    const Run s = run({"--config", sections});
    BOOST_TEST(is_config_error(s), s.err);
    BOOST_TEST(contains(s.err, sections + ":2: expected key = value, not '[server]'"), s.err);
    const auto no_key = write_conf("= 5\n");
    BOOST_TEST(contains(run({"--config", no_key}).err, no_key + ":1: unknown key ''"));
}

BOOST_AUTO_TEST_CASE(key_set_twice_in_a_file_names_both_lines) {
    const auto conf = write_conf("port = 1\nmode = echo\nport = 2\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, conf + ":3: key 'port' is set more than once (first on line 1)"), r.err);
}

// A wrong path (a log, a device) must not be read for ever nor echoed back whole.
BOOST_AUTO_TEST_CASE(conf_file_over_one_mebibyte_is_refused) {
    const auto big = write_conf(std::string(3 << 20, 'a') + "\n");
    for (const std::string& path : {big, std::string("/dev/urandom"), std::string("/dev/zero")}) {
        const Run r = run({"--config", path, "--print-config"});
        BOOST_TEST(is_config_error(r), path << ": " << r.err.substr(0, 300));
        BOOST_TEST(r.err == "echomux: configuration error: cannot read config file " + path + ": larger than 1 MiB\n",
                   r.err.substr(0, 300));
    }
}

// echomux takes no operands: `echomux 7007` must not start on the default port.
BOOST_AUTO_TEST_CASE(positional_arguments_are_an_error_naming_them) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"7007"}, "'7007'"},
        {{"--port", "7007", "extra", "--print-config"}, "'extra'"},
        {{"--print-config", "--", "--port=1"}, "'--port=1'"},
        {{"--print-config", "-"}, "'-'"},
    };
    for (const auto& [args, stray] : cases) {
        const Run r = run(args);
        BOOST_TEST(is_config_error(r), stray << ": " << r.err);
        BOOST_TEST(contains(r.err, "command line: unexpected argument " + stray), r.err);
    }
}

// Program_options would take --por=5 as --port=5, and a new key could change what it means.
BOOST_AUTO_TEST_CASE(abbreviated_flags_are_unrecognised_not_guessed) {
    const Run r = run({"--por=5", "--print-config"});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "command line: unrecognised option '--por'"), r.err);
    for (const std::string flag : {"--print", "--vers", "--max-conn=5", "--conf=x", "--metrics=1"})
        BOOST_TEST(is_config_error(run({flag, "--print-config"})), flag);
    // Short options still work.
    const Run help = run({"-h"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(contains(help.out, "Usage: echomux"));
    const auto conf = write_conf("port = 1004\n");
    BOOST_TEST(contains(run({"-c", conf, "--print-config"}).out, "port = 1004 "));
    BOOST_TEST(contains(run({"-c" + conf, "--print-config"}).out, "port = 1004 "));
}

// "--port=" is an empty value, checked like any other, not a Program_options syntax puzzle.
BOOST_AUTO_TEST_CASE(empty_flag_value_is_checked_like_any_value) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--port=", "command line: port = '': must be a port number from 0 to 65535"},
        {"--backlog=", "command line: backlog = '': must be a whole number from 1 to 1000000"},
        {"--listen=", "command line: listen = '': must be an IPv4 or IPv6 address"},
        {"--config=", "command line: config = '': must be the path of a conf file"},
        {"--help=", "command line: option '--help' does not take any arguments"},
    };
    for (const auto& [arg, message] : cases) {
        const Run r = run({arg, "--print-config"});
        BOOST_TEST(is_config_error(r), arg << ": " << r.err);
        BOOST_TEST(contains(r.err, message), arg << ": " << r.err);
    }
}

BOOST_AUTO_TEST_CASE(key_given_twice_on_the_command_line_is_an_error) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--port=1", "--port=2"}, {"--port", "1", "--port=1"},
          {"--max_connections=1", "--max-connections=2"}, {"-c", "/dev/null", "--config=/dev/null"}}) {
        const Run r = run(args);
        BOOST_TEST(is_config_error(r), r.err);
        BOOST_TEST(contains(r.err, "cannot be specified more than once"), r.err);
    }
}

namespace {
// Nothing a terminal could act on: printable ASCII, and the one line's final newline.
bool printable_line(const std::string& text) {
    return std::all_of(text.begin(), text.end() - 1, [](unsigned char c) { return c >= 0x20 && c < 0x7f; }) &&
           text.back() == '\n';
}
}  // namespace

// A stray control byte (or a terminal escape) in a key or value is shown, not acted on.
BOOST_AUTO_TEST_CASE(non_printable_bytes_in_messages_are_escaped) {
    struct Case {
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
        std::string expected;
    };
    const auto control = write_conf("col\x01our = blue\n");
    const auto escape = write_conf("col\x1b[31mour = blue\n");
    const auto value = write_conf("mode = \x1b[31mred\n");
    const auto nul = write_conf(std::string("port = 5\0junk\n", 14));
    const auto utf8 = write_conf("p\xc3\xb6rt = 1\n");
    const std::vector<Case> cases = {
        {{"--config", control}, {}, control + ":1: unknown key 'col\\x01our'"},
        {{"--config", escape}, {}, escape + ":1: unknown key 'col\\x1b[31mour'"},
        {{"--config", value}, {}, value + ":1: mode = '\\x1b[31mred': must be one of"},
        {{"--config", nul}, {}, nul + ":1: port = '5\\x00junk': must be a port number from 0 to 65535"},
        {{"--config", utf8}, {}, utf8 + ":1: unknown key 'p\\xc3\\xb6rt'"},
        {{"--config", "/nonexistent/\x1b[2J"}, {}, "cannot read config file /nonexistent/\\x1b[2J: No such file"},
        {{"--col\x01our=1"}, {}, "unrecognised option '--col\\x01our'"},
        {{"--mode=\x1b[31m"}, {}, "command line: mode = '\\x1b[31m': must be one of"},
        {{"--print-config", "\x1b[2J"}, {}, "unexpected argument '\\x1b[2J'"},
        {{}, {{"ECHOMUX_PORT", "7007\r"}}, "env ECHOMUX_PORT: port = '7007\\x0d': must be a port number"},
    };
    for (const auto& c : cases) {
        const Run r = run(c.args, c.env);
        BOOST_TEST(is_config_error(r), c.expected << ": " << r.err);
        BOOST_TEST(contains(r.err, c.expected), r.err);
        BOOST_TEST(printable_line(r.err), r.err);
    }
    const Run warned = run({"--print-config"}, {{"ECHOMUX_\x1b[31mX", "1"}});
    BOOST_TEST(warned.status == 0);
    BOOST_TEST(contains(warned.err, "ignoring environment variable ECHOMUX_\\x1b[31mX: not an echomux setting"),
               warned.err);
    BOOST_TEST(printable_line(warned.err), warned.err);
}

// Whatever was pasted, the error stays one readable line.
BOOST_AUTO_TEST_CASE(very_long_values_are_shortened_in_messages) {
    const std::string long_text(10000, 'a');
    const auto conf = write_conf(long_text + " = 1\n");
    for (const Run& r : {run({"--listen=" + long_text}), run({"--config", conf}), run({"--" + long_text}),
                         run({"--print-config", long_text})}) {
        BOOST_TEST(is_config_error(r), r.err.substr(0, 200));
        BOOST_TEST(r.err.size() < 300, r.err.substr(0, 200));
        BOOST_TEST((contains(r.err, "...' (10000 bytes)") || contains(r.err, "...' (10002 bytes)")),
                   r.err.substr(0, 200));
    }
}

// Habits from other formats get a hint, not just a refusal.
BOOST_AUTO_TEST_CASE(quoted_values_and_dashed_keys_in_a_conf_file_get_a_hint) {
    const auto quoted = write_conf("listen = \"127.0.0.1\"\n");
    const Run q = run({"--config", quoted});
    BOOST_TEST(is_config_error(q), q.err);
    BOOST_TEST(contains(q.err, quoted + ":1: listen = '\"127.0.0.1\"': must be an IPv4 or IPv6 address"), q.err);
    BOOST_TEST(contains(q.err, "(values are written without quotes)"), q.err);
    BOOST_TEST(contains(run({"--mode='upper'"}).err, "(values are written without quotes)"));
    const auto dashed = write_conf("max-connections = 5\n");
    const Run d = run({"--config", dashed});
    BOOST_TEST(is_config_error(d), d.err);
    BOOST_TEST(contains(d.err, dashed + ":1: unknown key 'max-connections' (conf file keys use _: max_connections)"),
               d.err);
}

