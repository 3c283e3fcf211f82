// SPDX-License-Identifier: BSL-1.0
// log_format = text | logfmt | json: every line of a real run (start, access log, signal,
// exit summary, configuration error) read back with a strict parser of its format, fields
// and their types exact; and the escaping of arbitrary bytes, which must keep JSON valid.
#define BOOST_TEST_MODULE echomux log format
#include "config/config_run.hpp"
#include "echomux/util/log.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/src.hpp>  // header-only Boost.JSON, compiled in this one file
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <utility>
#include <vector>

using namespace echomux::test;
namespace json = boost::json;
namespace logs = echomux::log;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// A strict logfmt reader: key=value pairs separated by one space; a key is [A-Za-z0-9_]+;
// a value is bare (printable ASCII, no '"', '=' or '\') or quoted with JSON escapes.
// nullopt for anything else.
std::optional<Pairs> parse_logfmt(const std::string& line) {
    Pairs pairs;
    std::size_t i = 0;
    while (i < line.size()) {
        if (!pairs.empty() && line[i++] != ' ') return std::nullopt;
        const std::size_t key_start = i;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
        if (i == key_start || i >= line.size() || line[i] != '=') return std::nullopt;
        std::string key = line.substr(key_start, i - key_start), value;
        ++i;
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i >= line.size()) return std::nullopt;  // unterminated
                const unsigned char c = static_cast<unsigned char>(line[i]);
                if (c == '"') break;
                if (c < 0x20) return std::nullopt;  // raw control bytes must be escaped
                if (c != '\\') {
                    value += static_cast<char>(c);
                    continue;
                }
                if (++i >= line.size()) return std::nullopt;
                switch (line[i]) {
                    case '"': value += '"'; break;
                    case '\\': value += '\\'; break;
                    case 'n': value += '\n'; break;
                    case 'r': value += '\r'; break;
                    case 't': value += '\t'; break;
                    case 'u': {
                        if (i + 4 >= line.size()) return std::nullopt;
                        const std::string hex = line.substr(i + 1, 4);
                        if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
                        append_utf8(value, std::stoul(hex, nullptr, 16));
                        i += 4;
                        break;
                    }
                    default: return std::nullopt;
                }
            }
            ++i;  // the closing quote
        } else {
            const std::size_t start = i;
            while (i < line.size() && line[i] > 0x20 && line[i] < 0x7F && line[i] != '"' && line[i] != '=' &&
                   line[i] != '\\')
                ++i;
            if (i == start) return std::nullopt;  // an empty value is written ""
            value = line.substr(start, i - start);
        }
        pairs.emplace_back(std::move(key), std::move(value));
    }
    if (pairs.empty()) return std::nullopt;
    return pairs;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> keys_of(const Pairs& pairs) {
    std::vector<std::string> keys;
    for (const auto& p : pairs) keys.push_back(p.first);
    return keys;
}

std::vector<std::string> keys_of(const json::object& object) {
    std::vector<std::string> keys;
    for (const auto& p : object) keys.push_back(std::string(p.key()));
    return keys;
}

bool is_rfc3339_utc_millis(const std::string& time) {
    return std::regex_match(time, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
}

// Our end of a connection, as the server names its client: "127.0.0.1:54321".
std::string local_end(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    char ip[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

// A run with every kind of line: start, an access line for a rejected client, the warning
// about it, an access line for a client that sent "hello" and finished, SIGTERM, the summary.
// One event loop, so the lines come in this order.
struct LoggedRun {
    int port;
    std::string finished, rejected;  // the two clients' addresses
    std::vector<std::string> lines;
};

LoggedRun run_logged(const std::string& format) {
    Server server({"--log-format=" + format, "--access-log=on", "--max-connections=1"});
    LoggedRun run{server.port(), {}, {}, {}};
    auto finished = connect_to(server.port());
    send_all(finished.get(), "hello");
    BOOST_REQUIRE(recv_exact(finished.get(), 5) == "hello");
    auto rejected = connect_to(server.port());  // the second while one is open: max_connections=1
    BOOST_REQUIRE(recv_until_eof(rejected.get()).empty());
    run.rejected = local_end(rejected.get());
    BOOST_REQUIRE(server.process().wait_for_err(run.rejected, 5s));
    ::shutdown(finished.get(), SHUT_WR);
    BOOST_REQUIRE(recv_until_eof(finished.get()).empty());
    run.finished = local_end(finished.get());
    BOOST_REQUIRE(server.process().wait_for_err(run.finished, 5s));
    BOOST_REQUIRE(server.stop() == 0);
    run.lines = lines_of(server.process().err());
    return run;
}

const std::vector<std::string> kAccessKeys = {"time", "level",    "msg",  "listener",    "client", "local",
                                              "received", "sent", "duration_ms", "end"};

// The configuration error for a conf file in a directory with a space in its name, whose
// value is quoted and holds an escape byte (shown as \x1b): quotes, blanks and backslashes
// all land in one message. Returns the run and the message expected.
std::pair<Run, std::string> config_error_in(const std::string& format) {
    const std::string path = temp_dir_until_exit("echomux log") + "/echomux.conf";
    std::ofstream(path) << "port = \"7\x1b\"\n";
    const Run r = run({"--config", path}, {{"ECHOMUX_LOG_FORMAT", format}});
    const std::string expected = "configuration error: file " + path +
                                 ":1: port = '\"7\\x1b\"': must be a port number from 0 to 65535"
                                 " (values are written without quotes)";
    return {r, expected};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_format)

BOOST_AUTO_TEST_CASE(every_json_line_of_a_run_parses_with_exact_fields) {
    const LoggedRun run = run_logged("json");
    std::vector<json::object> objects;
    for (const auto& line : run.lines) {
        json::error_code ec;
        const json::value v = json::parse(line, ec);
        BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object: " << line);
        const json::object& o = v.as_object();
        BOOST_REQUIRE_MESSAGE(o.size() >= 3 && o.begin()[0].key() == "time" && o.begin()[1].key() == "level" &&
                                  o.begin()[2].key() == "msg",
                              line);
        BOOST_TEST(is_rfc3339_utc_millis(std::string(o.at("time").as_string())), line);
        objects.push_back(o);
    }
    BOOST_REQUIRE_EQUAL(objects.size(), 6u);
    for (std::size_t i = 0; i < objects.size(); ++i)
        BOOST_TEST(objects[i].at("level").as_string() == (i == 2 ? "warn" : "info"), run.lines[i]);
    const std::string listening = "listening on 127.0.0.1:" + std::to_string(run.port);
    BOOST_TEST(objects[0].at("msg").as_string() == listening);
    BOOST_TEST(objects[0].at("version").as_string() == ECHOMUX_EXPECTED_VERSION);
    BOOST_TEST(!objects[0].at("revision").as_string().empty());
    BOOST_TEST(objects[0].at("threads").as_int64() == 1);
    BOOST_TEST(objects[0].at("max_connections").as_int64() == 1);
    BOOST_TEST(objects[0].at("idle_timeout").as_string() == "300s");

    const json::object& rejected = objects[1];
    BOOST_TEST(keys_of(rejected) == kAccessKeys, json::serialize(rejected));
    BOOST_TEST(rejected.at("msg").as_string() == "access");
    BOOST_TEST(rejected.at("client").as_string() == run.rejected);
    BOOST_TEST(rejected.at("local").as_string() == "127.0.0.1:" + std::to_string(run.port));
    BOOST_TEST(rejected.at("received").as_int64() == 0);
    BOOST_TEST(rejected.at("sent").as_int64() == 0);
    BOOST_TEST(rejected.at("duration_ms").as_int64() == 0);
    BOOST_TEST(rejected.at("end").as_string() == "rejected");

    BOOST_TEST(objects[2].at("msg").as_string() ==
               "max_connections (1) reached: closing new connections (1 time(s) since last report)");

    const json::object& finished = objects[3];
    BOOST_TEST(keys_of(finished) == kAccessKeys, json::serialize(finished));
    BOOST_TEST(finished.at("msg").as_string() == "access");
    BOOST_TEST(finished.at("client").as_string() == run.finished);
    BOOST_TEST(finished.at("local").as_string() == "127.0.0.1:" + std::to_string(run.port));
    BOOST_TEST(finished.at("received").as_int64() == 5);
    BOOST_TEST(finished.at("sent").as_int64() == 5);
    BOOST_TEST(finished.at("duration_ms").as_int64() >= 0);  // an integer: as_int64 throws on anything else
    BOOST_TEST(finished.at("end").as_string() == "eof");

    BOOST_TEST(std::string(objects[4].at("msg").as_string()).rfind("received SIGTERM: no longer accepting", 0) == 0);
    BOOST_TEST(objects[5].at("msg").as_string() == "stopped:");
    BOOST_TEST(objects[5].at("accepted").as_int64() == 1);
    BOOST_TEST(objects[5].at("rejected").as_int64() == 1);
    BOOST_TEST(objects[5].at("bytes_received").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(every_logfmt_line_of_a_run_parses_with_the_same_fields) {
    const LoggedRun run = run_logged("logfmt");
    std::vector<Pairs> lines;
    for (const auto& line : run.lines) {
        const auto pairs = parse_logfmt(line);
        BOOST_REQUIRE_MESSAGE(pairs && pairs->size() >= 3, "not strict logfmt: " << line);
        BOOST_REQUIRE_MESSAGE((*pairs)[0].first == "time" && (*pairs)[1].first == "level" && (*pairs)[2].first == "msg",
                              line);
        BOOST_TEST(is_rfc3339_utc_millis((*pairs)[0].second), line);
        lines.push_back(*pairs);
    }
    BOOST_REQUIRE_EQUAL(lines.size(), 6u);
    for (std::size_t i = 0; i < lines.size(); ++i)
        BOOST_TEST(lines[i][1].second == (i == 2 ? "warn" : "info"), run.lines[i]);
    BOOST_TEST(lines[0][2].second == "listening on 127.0.0.1:" + std::to_string(run.port));
    BOOST_REQUIRE(lines[0].size() > 3 && lines[5].size() > 3);
    BOOST_TEST(lines[0][3].first == "version");
    BOOST_TEST(lines[0][3].second == ECHOMUX_EXPECTED_VERSION);

    const std::string local = "127.0.0.1:" + std::to_string(run.port);
    const Pairs rejected = {{"msg", "access"}, {"listener", "main"}, {"client", run.rejected}, {"local", local}, {"received", "0"},
                            {"sent", "0"},     {"duration_ms", "0"},     {"end", "rejected"}};
    BOOST_TEST(keys_of(lines[1]) == kAccessKeys);
    BOOST_TEST((Pairs(lines[1].begin() + 2, lines[1].end()) == rejected), run.lines[1]);

    BOOST_TEST(lines[2][2].second == "max_connections (1) reached: closing new connections (1 time(s) since last report)");

    BOOST_TEST_REQUIRE(keys_of(lines[3]) == kAccessKeys);
    BOOST_TEST(std::regex_match(lines[3][8].second, std::regex("[0-9]+")), run.lines[3]);
    const Pairs finished = {{"msg", "access"}, {"listener", "main"}, {"client", run.finished}, {"local", local},
                            {"received", "5"}, {"sent", "5"}, {"duration_ms", lines[3][8].second}, {"end", "eof"}};
    BOOST_TEST((Pairs(lines[3].begin() + 2, lines[3].end()) == finished), run.lines[3]);

    BOOST_TEST(lines[4][2].second.rfind("received SIGTERM: no longer accepting", 0) == 0);
    BOOST_TEST(lines[5][2].second == "stopped:");
    BOOST_TEST(lines[5][3].first == "accepted");
    BOOST_TEST(lines[5][3].second == "1");
}

// The text lines stay as they were, with the version added to the start line.
BOOST_AUTO_TEST_CASE(text_lines_keep_their_shape_and_the_start_line_names_the_version) {
    const LoggedRun run = run_logged("text");
    BOOST_REQUIRE_EQUAL(run.lines.size(), 6u);
    const std::string time = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z";
    const std::string port = std::to_string(run.port);
    const std::string version = std::regex_replace(ECHOMUX_EXPECTED_VERSION, std::regex("\\."), "\\.");
    BOOST_TEST(std::regex_match(run.lines[0], std::regex(time + " echomux info: listening on 127\\.0\\.0\\.1:" + port +
                                                         " version=" + version + " revision=[^ ]+ backend=[a-z-]+ "
                                                         "threads=1 mode=echo max_connections=1 .*")),
               run.lines[0]);
    BOOST_TEST(run.lines[1].substr(24) == " echomux info: access listener=main client=" + run.rejected + " local=127.0.0.1:" + port +
                                              " received=0 sent=0 duration_ms=0 end=rejected");
    BOOST_TEST(std::regex_match(run.lines[3], std::regex(time + " echomux info: access listener=main client=" +
                                                         std::regex_replace(run.finished, std::regex("\\."), "\\.") +
                                                         " local=127\\.0\\.0\\.1:" + port +
                                                         " received=5 sent=5 duration_ms=[0-9]+ end=eof")),
               run.lines[3]);
    BOOST_TEST(std::regex_match(run.lines[5], std::regex(time + " echomux info: stopped: accepted=1 rejected=1 .*")),
               run.lines[5]);
}

// Once the settings are read and log_format is valid, even a configuration error is logged
// in the chosen format, with its quotes, blanks and backslashes escaped.
BOOST_AUTO_TEST_CASE(a_configuration_error_with_quotes_and_blanks_is_escaped_in_json_and_logfmt) {
    const auto [as_json, expected] = config_error_in("json");
    BOOST_TEST(as_json.status == 2);
    const auto lines = lines_of(as_json.err);
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    const json::value v = json::parse(lines[0]);
    BOOST_TEST(v.at("level").as_string() == "error");
    BOOST_TEST(v.at("msg").as_string() == expected, lines[0]);

    const auto [as_logfmt, same] = config_error_in("logfmt");
    BOOST_TEST(as_logfmt.status == 2);
    BOOST_REQUIRE_EQUAL(lines_of(as_logfmt.err).size(), 1u);
    const auto pairs = parse_logfmt(lines_of(as_logfmt.err)[0]);
    BOOST_REQUIRE_MESSAGE(pairs && pairs->size() == 3, as_logfmt.err);
    BOOST_TEST((*pairs)[1].second == "error");
    BOOST_TEST((*pairs)[2].second == same, as_logfmt.err);
}

// Before the settings are read (here: an unknown flag) the format is not known yet.
BOOST_AUTO_TEST_CASE(an_error_before_the_settings_are_read_stays_text) {
    const Run r = run({"--log-format=json", "--colour=blue"});
    BOOST_TEST(is_config_error(r), r.err);
}

BOOST_AUTO_TEST_CASE(any_bytes_make_valid_json_and_logfmt_that_read_back) {
    // Each invalid UTF-8 byte reads back as U+00XX; valid UTF-8 and escaped controls as they were.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"plain", "plain"},
        {"quote \" backslash \\ = end", "quote \" backslash \\ = end"},
        {"nl\ncr\rtab\tnul" + std::string(1, '\0') + "esc\x1b del\x7f", "nl\ncr\rtab\tnul" + std::string(1, '\0') + "esc\x1b del\x7f"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},  // é € 😀
        {"\xff", "\xc3\xbf"},
        {"a\xc3", "a\xc3\x83"},                 // truncated sequence
        {"\xc0\xaf", "\xc3\x80\xc2\xaf"},       // overlong '/'
        {"\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80"},  // a UTF-16 surrogate
        {"\xc2\x9b[31m", "\xc2\x9b[31m"},       // C1 CSI: escaped as \u009b, reads back the same
        {"", ""},
    };
    for (const auto& [raw, decoded] : cases) {
        const std::string line = logs::format_line(logs::Format::json, "T", logs::Level::info, raw, {{"k", raw}});
        BOOST_TEST(line.find_first_of(std::string("\n\r\x1b\x7f") + '\0') == std::string::npos, line);
        json::error_code ec;
        const json::value v = json::parse(line, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "invalid JSON for " << line);
        BOOST_TEST(std::string(v.at("msg").as_string()) == decoded, line);
        BOOST_TEST(std::string(v.at("k").as_string()) == decoded, line);

        const std::string logfmt = logs::format_line(logs::Format::logfmt, "T", logs::Level::info, raw, {{"k", raw}});
        const auto pairs = parse_logfmt(logfmt);
        BOOST_REQUIRE_MESSAGE(pairs && pairs->size() == 4, "not strict logfmt: " << logfmt);
        BOOST_TEST((*pairs)[2].second == decoded, logfmt);
        BOOST_TEST((*pairs)[3].second == decoded, logfmt);
    }
    std::mt19937 random(862);
    for (int i = 0; i < 5000; ++i) {
        std::string raw(random() % 24, '\0');
        for (char& c : raw) c = static_cast<char>(random());
        const std::string line = logs::format_line(logs::Format::json, "T", logs::Level::info, raw, {});
        json::error_code ec;
        json::parse(line, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "invalid JSON for " << line);
        BOOST_REQUIRE_MESSAGE(parse_logfmt(logs::format_line(logs::Format::logfmt, "T", logs::Level::info, raw, {})),
                              "not strict logfmt for " << line);
    }
}

BOOST_AUTO_TEST_CASE(numbers_are_bare_and_strings_quoted_in_json) {
    const std::string line = logs::format_line(logs::Format::json, "T", logs::Level::warn, "m",
                                              {{"n", 12}, {"big", 18446744073709551615ull}, {"neg", -3}, {"x", 1.5},
                                               {"s", "12"}, {"inf", std::numeric_limits<double>::infinity()}});
    BOOST_TEST(line == "{\"time\":\"T\",\"level\":\"warn\",\"msg\":\"m\",\"n\":12,\"big\":18446744073709551615,"
                       "\"neg\":-3,\"x\":1.5,\"s\":\"12\",\"inf\":\"inf\"}");
    BOOST_TEST(logs::format_line(logs::Format::logfmt, "T", logs::Level::warn, "m", {{"n", 12}, {"s", ""}}) ==
               "time=T level=warn msg=m n=12 s=\"\"");
    BOOST_TEST(logs::format_line(logs::Format::text, "T", logs::Level::warn, "m x", {{"n", 12}, {"s", "a b"}}) ==
               "T echomux warn: m x n=12 s=\"a b\"");
}

BOOST_AUTO_TEST_SUITE_END()
