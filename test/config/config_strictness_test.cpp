// SPDX-License-Identifier: BSL-1.0
// Configuration input that is wrong, odd or hostile: each gets one clear line and exit
// status 2, or is read as meant (a BOM, CR LF) — never guessed, never silently ignored.
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <csignal>
#include <regex>
#include <sstream>

using namespace echomux::test;

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
                                    ".", "s", "5w", "5H", "5S", "1h30m", "1,5"}) {
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

BOOST_AUTO_TEST_CASE(directory_as_config_file_is_one_clear_error) {
    const TempDir dir("echomux-dir");
    const std::string expected =
        "echomux: configuration error: file " + dir.path() + ": cannot read it: Is a directory\n";
    BOOST_TEST(run({"--config", dir.path(), "--print-config"}).err == expected);
    const Run env = run({"--print-config"}, {{"ECHOMUX_CONFIG", dir.path()}});
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
    // [listener NAME] is the one kind of section: say where, not "unknown key 'server.port'".
    const auto sections = write_conf("# echomux\n[server]\nport = 5\n");
    const Run s = run({"--config", sections});
    BOOST_TEST(is_config_error(s), s.err);
    BOOST_TEST(contains(s.err, sections + ":2: expected a section header [listener NAME], not '[server]'"), s.err);
    const auto no_key = write_conf("= 5\n");
    BOOST_TEST(contains(run({"--config", no_key}).err, no_key + ":1: unknown key ''"));
}

BOOST_AUTO_TEST_CASE(key_set_twice_in_a_file_names_both_lines) {
    const auto conf = write_conf("port = 1\nmode = echo\nport = 2\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, conf + ":3: key 'port' is set more than once (first on line 1)"), r.err);
}

// A FIFO at the path would block open(2) until a writer came, for good (issue 26).
BOOST_AUTO_TEST_CASE(a_fifo_as_config_file_is_refused_at_once) {
    const std::string fifo = temp_dir_until_exit("echomux-fifo") + "/echomux.conf";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const Run r = run({"--config", fifo, "--print-config"});  // run() fails the test after 10 s
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(r.err == "echomux: configuration error: file " + fifo + ": cannot read it: not a regular file (a FIFO)\n");
}

// A wrong path (a log, a device) must not be read for ever nor echoed back whole.
BOOST_AUTO_TEST_CASE(conf_file_over_one_mebibyte_is_refused) {
    const auto big = write_conf(std::string(3 << 20, 'a') + "\n");
    const Run r = run({"--config", big, "--print-config"});
    BOOST_TEST(is_config_error(r), r.err.substr(0, 300));
    BOOST_TEST(r.err == "echomux: configuration error: file " + big + ": cannot read it: larger than 1 MiB\n",
               r.err.substr(0, 300));
    for (const std::string path : {"/dev/urandom", "/dev/zero"}) {  // refused before any read
        const Run d = run({"--config", path, "--print-config"});
        BOOST_TEST(d.err == "echomux: configuration error: file " + path + ": cannot read it" +
                                ": not a regular file (a device)\n",
                   d.err.substr(0, 300));
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
        {{"--config", "/nonexistent/\x1b[2J"}, {}, "file /nonexistent/\\x1b[2J: cannot read it: No such file"},
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

// greeting and prefix are templates: a mistake in one is found at start, not per connection.
BOOST_AUTO_TEST_CASE(greeting_and_prefix_templates_are_checked_at_start) {
    const Run unterminated = run({"--greeting=hi ${HOSTNAME"});
    BOOST_TEST(is_config_error(unterminated), unterminated.err);
    BOOST_TEST(contains(unterminated.err, "greeting = 'hi ${HOSTNAME': unterminated ${"), unterminated.err);
    const Run percent = run({"--mode=prefix", "--prefix=50%"});
    BOOST_TEST(is_config_error(percent), percent.err);
    BOOST_TEST(contains(percent.err, "prefix = '50%': % must be followed by p (client address), l (local address), n (TLS SNI name), v (TLS version), c (client certificate subject) or %"),
               percent.err);
    const Run bad_name = run({"--greeting=${1X}"});
    BOOST_TEST(contains(bad_name.err, "${1X} is not an environment variable name"), bad_name.err);
    const Run no_prefix = run({"--mode=prefix"});
    BOOST_TEST(is_config_error(no_prefix), no_prefix.err);
    BOOST_TEST(contains(no_prefix.err, "command line: mode = prefix: set prefix too"), no_prefix.err);
    const Run small = run({"--mode=prefix", "--prefix=x", "--max-buffer-bytes=1K"});
    BOOST_TEST(contains(small.err, "max_buffer_bytes = '1K': must be at least 4KiB with mode = prefix"), small.err);
    const Run long_text = run({"--greeting=" + std::string(1025, 'g')});
    BOOST_TEST(contains(long_text.err, "must be at most 1024 bytes"), long_text.err);
    BOOST_TEST(run({"--mode=prefix", "--prefix=${HOSTNAME}: ", "--greeting=%p", "--print-config"}).status == 0);
}

BOOST_AUTO_TEST_CASE(proxy_protocol_keys_come_from_file_env_and_command_line) {
    const auto conf = write_conf("proxy_protocol = optional\nproxy_header_timeout = 250ms\n");
    const Run file = run({"--config", conf, "--print-config"});
    const std::regex from_file("proxy_protocol = optional +# file " + conf + ":1\n"
                               "proxy_header_timeout = 250ms +# file " + conf + ":2\n");
    BOOST_TEST(std::regex_search(file.out, from_file), file.out);
    const Run env = run({"--print-config"}, {{"ECHOMUX_PROXY_PROTOCOL", "required"}});
    BOOST_TEST(std::regex_search(env.out, std::regex("proxy_protocol = required +# env ECHOMUX_PROXY_PROTOCOL\n")),
               env.out);
    const Run cli = run({"--proxy-protocol=off", "--print-config"});
    BOOST_TEST(std::regex_search(cli.out, std::regex("proxy_protocol = off +# command line\n")), cli.out);
    const Run bad = run({"--proxy-protocol=v2"});
    BOOST_TEST(is_config_error(bad), bad.err);
    BOOST_TEST(contains(bad.err, "proxy_protocol = 'v2': must be one of: off, optional, required"), bad.err);
    const Run zero = run({"--proxy-protocol=required", "--proxy-header-timeout=0"});
    BOOST_TEST(is_config_error(zero), zero.err);
    BOOST_TEST(contains(zero.err, "proxy_header_timeout = '0': must be a duration from 1ms"), zero.err);
    const Run negative = run({"--proxy-header-timeout=-1"});
    BOOST_TEST(contains(negative.err, "proxy_header_timeout = '-1': must be a duration from 1ms"), negative.err);
    const Run idle_first = run({"--proxy-protocol=optional", "--idle-timeout=1", "--print-config"});
    BOOST_TEST(idle_first.status == 0);
    BOOST_TEST(contains(idle_first.err, "idle_timeout (1) is shorter than proxy_header_timeout (5)"), idle_first.err);
}
