// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/config.hpp"

#include "config_values.hpp"
#include "echomux/util/fd.hpp"
#include "echomux/util/version.hpp"

#include <boost/program_options.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace po = boost::program_options;

namespace echomux {
namespace {

// Blanks around conf file keys and values, and the CR of a CR LF line end.
std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") + 1 - b);
}

std::optional<Backend> parse_backend(const std::string& s) {
    for (auto b : {Backend::asio, Backend::epoll, Backend::poll, Backend::select, Backend::io_uring})
        if (s == backend_name(b)) return b;
    return std::nullopt;
}

std::optional<bool> parse_on_off(const std::string& s) {
    if (s == "on") return true;
    if (s == "off") return false;
    return std::nullopt;
}

std::optional<ProxyProtocol> parse_proxy_protocol(const std::string& s) {
    for (auto p : {ProxyProtocol::off, ProxyProtocol::optional, ProxyProtocol::required})
        if (s == proxy_protocol_name(p)) return p;
    return std::nullopt;
}

std::optional<EpollMode> parse_epoll_mode(const std::string& s) {
    for (auto m : {EpollMode::level, EpollMode::edge})
        if (s == epoll_mode_name(m)) return m;
    return std::nullopt;
}

// One row per key: the single list that drives parsing, --help, --print-config and the
// environment mapping, so a new key cannot be half-added.
struct Key {
    const char* name;
    const char* fallback;  // built-in default, as text
    const char* help;
    std::function<void(Config&, const std::string&)> apply;
};

const std::vector<Key>& keys() {
    static const std::vector<Key> table = {
        {"listen", "0.0.0.0", "address to listen on: 0.0.0.0, 127.0.0.1, :: (IPv6 + IPv4), ::1",
         [](Config& c, const std::string& v) { c.listen = parse_address(v); }},
        {"port", "7007", "TCP port; 0 picks a free port (logged at start)",
         [](Config& c, const std::string& v) { c.port = parse_whole(v, 0, 65535, "a port number"); }},
        {"udp", "off", "on: also echo UDP datagrams on the same listen address and port (RFC 862 section 2)",
         [](Config& c, const std::string& v) { c.udp = parse_choice<bool>(v, parse_on_off, "on, off"); }},
        {"udp_rate_per_source", "1000",
         "UDP replies per second to one source address (burst: one second's worth); 0 = no limit",
         [](Config& c, const std::string& v) {
             c.udp_rate_per_source = parse_whole(v, 0, 10000000, "a whole number");
         }},
        {"mode", "echo",
         "echo: bytes back unchanged; upper: ASCII letters upper-cased; prefix: `prefix` before each line",
         [](Config& c, const std::string& v) { c.mode = parse_choice<Mode>(v, parse_mode, "echo, upper, prefix"); }},
        {"prefix", "", "with mode = prefix: text before each line; ${ENV_VAR}, %p (client), %l (local address)",
         [](Config& c, const std::string& v) { c.prefix = parse_reply_text(v); }},
        {"greeting", "", "a line sent on connect, e.g. 'echomux ${HOSTNAME} %p'; empty = none",
         [](Config& c, const std::string& v) { c.greeting = parse_reply_text(v); }},
        {"proxy_protocol", "off",
         "a PROXY protocol v1/v2 header names the client: off, optional (used when present), required",
         [](Config& c, const std::string& v) {
             c.proxy_protocol = parse_choice<ProxyProtocol>(v, parse_proxy_protocol, "off, optional, required");
         }},
        {"proxy_header_timeout", "5", "seconds for the PROXY header to arrive; then closed (required) or served as is",
         [](Config& c, const std::string& v) {
             // No 0 ("never"): a stranger could then hold a connection open without a header.
             const char* range = "must be a duration from 1ms to 3600 seconds (\"5\", \"500ms\")";
             try {
                 c.proxy_header_timeout = parse_seconds(v, 3600);
             } catch (const BadValue&) {
                 throw BadValue(range);
             }
             if (c.proxy_header_timeout == 0) throw BadValue(range);
         }},
        {"backend", "asio", "event loop: asio, epoll, poll, select, io_uring",
         [](Config& c, const std::string& v) {
             c.backend = parse_choice<Backend>(v, parse_backend, "asio, epoll, poll, select, io_uring");
         }},
        {"epoll_mode", "level", "with backend = epoll: level or edge triggered",
         [](Config& c, const std::string& v) {
             c.epoll_mode = parse_choice<EpollMode>(v, parse_epoll_mode, "level, edge");
         }},
        {"threads", "1", "event loops, each with its own listener on the port (SO_REUSEPORT)",
         [](Config& c, const std::string& v) { c.threads = parse_whole(v, 1, 256, "a whole number"); }},
        {"max_connections", "10000", "open connections (all threads); more are closed at once",
         [](Config& c, const std::string& v) {
             c.max_connections = parse_whole(v, 1, 10000000, "a whole number");
         }},
        {"max_buffer_bytes", "256KiB", "bytes held per connection before reading pauses",
         [](Config& c, const std::string& v) { c.max_buffer_bytes = parse_bytes(v, 1, 1ull << 30); }},
        {"read_chunk_bytes", "64KiB", "largest single read from a socket",
         [](Config& c, const std::string& v) { c.read_chunk_bytes = parse_bytes(v, 1, 64ull << 20); }},
        {"backlog", "4096", "listen(2) backlog (the kernel caps it at net.core.somaxconn)",
         [](Config& c, const std::string& v) { c.backlog = parse_whole(v, 1, 1000000, "a whole number"); }},
        {"idle_timeout", "300", "close a connection idle this long; 0 = never",
         [](Config& c, const std::string& v) { c.idle_timeout = parse_seconds(v, 86400 * 365); }},
        {"drain_timeout", "10", "after SIGTERM/SIGINT, how long open connections may finish",
         [](Config& c, const std::string& v) { c.drain_timeout = parse_seconds(v, 86400); }},
        {"shutdown_delay", "0",
         "after SIGTERM/SIGINT, keep accepting this long while /healthz says 503, then drain; 0 = drain at once",
         [](Config& c, const std::string& v) { c.shutdown_delay = parse_seconds(v, 3600); }},
        {"access_log", "off", "on: one line per connection as it ends (addresses, bytes, duration, why it ended)",
         [](Config& c, const std::string& v) {
             c.access_log = parse_choice<bool>(v, parse_on_off, "on, off");
         }},
        {"log_level", "info", "error, warn, info or debug",
         [](Config& c, const std::string& v) {
             c.log_level = parse_choice<log::Level>(v, log::parse_level, "error, warn, info, debug");
         }},
        {"log_format", "text", "text (time level: message), logfmt or json (one object per line)",
         [](Config& c, const std::string& v) {
             c.log_format = parse_choice<log::Format>(v, log::parse_format, "text, logfmt, json");
         }},
        {"metrics_listen", "same as listen", "address of the HTTP /metrics and /healthz endpoint",
         [](Config& c, const std::string& v) { c.metrics_listen = parse_address(v); }},
        {"metrics_port", "0", "port of the HTTP /metrics and /healthz endpoint; 0 = off",
         [](Config& c, const std::string& v) { c.metrics_port = parse_whole(v, 0, 65535, "a port number"); }},
        {"metrics_max_connections", "16", "open connections to the metrics endpoint; at the cap the longest idle gives way",
         [](Config& c, const std::string& v) {
             c.metrics_max_connections = parse_whole(v, 1, 10000, "a whole number");
         }},
    };
    return table;
}

std::string env_name(const std::string& key) {
    std::string name = "ECHOMUX_";
    for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

// Where a value came from, for --print-config and for error messages.
struct Setting {
    std::string value;
    std::string source = "default";
};

// Flags are spelled with dashes (--max-connections), conf file keys with underscores.
std::string flag_name(const std::string& key) {
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

po::options_description key_options() {
    po::options_description desc("Settings (conf file key: the flag with _ for -; variable: ECHOMUX_<KEY>)");
    for (const auto& k : keys()) {
        std::string help = std::string(k.help) + " [" + k.fallback + "]";
        desc.add_options()(flag_name(k.name).c_str(), po::value<std::string>()->value_name("V"), help.c_str());
    }
    return desc;
}

// A conf file is small: anything bigger is a wrong path (a log, a device), not settings.
constexpr std::size_t kMaxConfBytes = 1 << 20;

std::string read_conf_text(const std::string& path) {
    const auto fail = [&](const std::string& why) {
        return ConfigError("cannot read config file " + path + ": " + why);
    };
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw fail(std::strerror(errno));
    std::string text;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw fail(std::strerror(errno));  // e.g. EISDIR: open(2) accepts a directory
        if (n == 0) return text;
        text.append(chunk, static_cast<std::size_t>(n));
        if (text.size() > kMaxConfBytes) throw fail("larger than 1 MiB");
    }
}

// `key = value` lines; `#` starts a comment. Read by hand rather than with Program_options,
// so every message has its line and Windows files (UTF-8 BOM, CR LF) just work.
void read_file(const std::string& path, std::map<std::string, Setting>& settings) {
    std::string text = read_conf_text(path);
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
    std::map<std::string, int> first_line;
    std::istringstream lines(text);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
        const std::string place = path + ":" + std::to_string(++n);
        const std::string content = trim(line.substr(0, line.find('#')));
        if (content.empty()) continue;
        const auto eq = content.find('=');
        if (eq == std::string::npos) throw ConfigError(place + ": expected key = value, not " + quoted(content));
        const std::string key = trim(content.substr(0, eq));
        if (std::none_of(keys().begin(), keys().end(), [&](const Key& k) { return key == k.name; })) {
            std::string hint;
            for (const auto& k : keys())
                if (key == flag_name(k.name)) hint = std::string(" (conf file keys use _: ") + k.name + ")";
            throw ConfigError(place + ": unknown key " + quoted(key) + hint);
        }
        if (const auto [first, inserted] = first_line.emplace(key, n); !inserted)
            throw ConfigError(place + ": key '" + key + "' is set more than once (first on line " +
                              std::to_string(first->second) + ")");
        settings[key] = {trim(content.substr(eq + 1)), "file " + place};
    }
}

// Unknown ECHOMUX_* variables are not an error (other tools set some), but a typo should
// not pass silently: each becomes a warning.
void read_environment(const char* const* envp, std::map<std::string, Setting>& settings,
                      std::vector<std::string>& warnings) {
    for (; envp && *envp; ++envp) {
        const std::string entry = *envp;
        const auto eq = entry.find('=');
        if (eq == std::string::npos || entry.rfind("ECHOMUX_", 0) != 0) continue;
        const std::string name = entry.substr(0, eq);
        bool known = name == "ECHOMUX_CONFIG";
        for (const auto& k : keys())
            if (name == env_name(k.name)) {
                settings[k.name] = {entry.substr(eq + 1), "env " + name};
                known = true;
            }
        if (!known) warnings.push_back("ignoring environment variable " + printable(name) + ": not an echomux setting");
    }
}

std::string usage(const po::options_description& desc) {
    std::ostringstream out;
    out << "Usage: echomux [--config FILE] [--KEY=VALUE ...]\n"
        << "RFC 862 TCP echo server. Precedence: command line > ECHOMUX_<KEY> environment > conf file\n"
        << "> built-in default. Exit status: 0 ok, 1 runtime failure (e.g. port in use), 2 bad\n"
        << "configuration.\n\n"
        << desc;
    return out.str();
}

// argv as Program_options should see it: --max_connections (the conf file spelling) as
// --max-connections, and "--port=" as "--port" "": an empty value, checked like any other,
// where Program_options would call it a syntax error.
std::vector<std::string> command_line_args(int argc, const char* const argv[], const po::options_description& all) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {  // what follows is operands, which load_config refuses: leave them as they are
            args.insert(args.end(), argv + i, argv + argc);
            break;
        }
        if (a.rfind("--", 0) == 0) std::replace(a.begin(), a.begin() + std::min(a.find('='), a.size()), '_', '-');
        const auto* option = a.rfind("--", 0) == 0 && a.find('=') == a.size() - 1
                                 ? all.find_nothrow(a.substr(2, a.size() - 3), false)
                                 : nullptr;
        if (option && option->semantic()->max_tokens() == 0)
            throw ConfigError("command line: option '" + a.substr(0, a.size() - 1) +
                              "' does not take any arguments (see --help)");
        if (option) {
            args.push_back(a.substr(0, a.size() - 1));
            args.push_back("");
            continue;
        }
        args.push_back(a);
    }
    return args;
}

}  // namespace

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::asio: return "asio";
        case Backend::epoll: return "epoll";
        case Backend::poll: return "poll";
        case Backend::select: return "select";
        case Backend::io_uring: return "io_uring";
    }
    return "?";
}

ConfigError::ConfigError(const std::string& message) : std::runtime_error(printable(message)) {}

const char* epoll_mode_name(EpollMode mode) { return mode == EpollMode::edge ? "edge" : "level"; }

const char* proxy_protocol_name(ProxyProtocol p) {
    switch (p) {
        case ProxyProtocol::off: return "off";
        case ProxyProtocol::optional: return "optional";
        case ProxyProtocol::required: return "required";
    }
    return "?";
}

std::string backend_label(const Config& config) {
    std::string label = backend_name(config.backend);
    if (config.backend == Backend::epoll) label += std::string("-") + epoll_mode_name(config.epoll_mode);
    return label;
}

std::string version_text() {
    std::string text = std::string("echomux ") + version() + " (revision " + revision() + ")\nbackends:";
    for (auto b : {Backend::asio, Backend::epoll, Backend::poll, Backend::select, Backend::io_uring})
        for (auto m : {EpollMode::level, EpollMode::edge}) {
            if (b != Backend::epoll && m == EpollMode::edge) continue;  // only epoll has a mode
            Config c;
            c.backend = b;
            c.epoll_mode = m;
            text += " " + backend_label(c);
        }
    return text + "\n";
}

namespace {
// load_config's work; sets `log_format` as soon as the settings say which it is, so an
// error found after that is reported in it.
LoadedConfig load_settings(int argc, const char* const argv[], const char* const* envp,
                           std::optional<log::Format>& log_format) {
    po::options_description general("General");
    general.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
        "print-config", "print the effective configuration, with where each value came from, and exit")(
        "healthcheck",
        "probe this configuration's /healthz (metrics_port) and exit: 0 if it answers 200, else 1 (container HEALTHCHECK)")(
        "config,c", po::value<std::string>()->value_name("FILE"),
        "conf file to read (also ECHOMUX_CONFIG); see conf/echomux.conf");
    po::options_description all;
    all.add(general).add(key_options());

    const std::vector<std::string> args = command_line_args(argc, argv, all);
    po::variables_map cli;
    try {
        // No guessing: --por=5 would be taken as --port=5, and a new key could change what it means.
        const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        const po::parsed_options parsed = po::command_line_parser(args).options(all).style(style).run();
        for (const auto& opt : parsed.options)
            if (opt.position_key >= 0)
                throw ConfigError("command line: unexpected argument " + quoted(opt.original_tokens.front()) +
                                  " (settings are --KEY=VALUE; see --help)");
        po::store(parsed, cli);
    } catch (const po::unknown_option& e) {
        const std::string name = e.get_option_name();  // the whole token: "--por=5"
        throw ConfigError("command line: unrecognised option " + quoted(name.substr(0, name.find('='))) +
                          " (see --help)");
    } catch (const po::error& e) {
        throw ConfigError(std::string("command line: ") + e.what() + " (see --help)");
    }

    LoadedConfig loaded;
    if (cli.count("help")) {
        loaded.action = LoadedConfig::Action::help;
        loaded.text = usage(all);
        return loaded;
    }
    if (cli.count("version")) {
        loaded.action = LoadedConfig::Action::version;
        loaded.text = version_text();
        return loaded;
    }

    std::map<std::string, Setting> settings;
    for (const auto& k : keys()) settings[k.name] = {k.fallback, "default"};

    std::optional<Setting> config_path;
    for (auto e = envp; e && *e; ++e)
        if (std::strncmp(*e, "ECHOMUX_CONFIG=", 15) == 0) config_path = Setting{*e + 15, "env ECHOMUX_CONFIG"};
    if (cli.count("config")) config_path = Setting{cli["config"].as<std::string>(), "command line"};
    // Most likely a deployment template whose variable came out empty: not "no conf file".
    if (config_path && config_path->value.empty())
        throw ConfigError(config_path->source + ": config = '': must be the path of a conf file (or not set at all)");
    if (config_path) read_file(config_path->value, settings);
    read_environment(envp, settings, loaded.warnings);
    for (const auto& k : keys())
        if (cli.count(flag_name(k.name))) settings[k.name] = {cli[flag_name(k.name)].as<std::string>(), "command line"};
    // Metrics are served where echo is unless asked otherwise: --listen 127.0.0.1 alone
    // must not expose /metrics on every interface.
    if (settings["metrics_listen"].source == "default")
        settings["metrics_listen"] = {settings["listen"].value, "default: listen"};
    log_format = log::parse_format(settings["log_format"].value);

    for (const auto& k : keys()) {
        const Setting& s = settings[k.name];
        try {
            k.apply(loaded.config, s.value);
        } catch (const BadValue& e) {
            std::string hint;
            if (s.value.rfind("tcp://", 0) == 0)
                hint = " (Kubernetes service links set ECHOMUX_* variables; use enableServiceLinks: false)";
            if (s.value.size() >= 2 && (s.value.front() == '"' || s.value.front() == '\'') &&
                s.value.back() == s.value.front())
                hint = " (values are written without quotes)";
            throw ConfigError(s.source + ": " + k.name + " = " + quoted(s.value) + ": " + e.what() + hint);
        }
    }
    if (loaded.config.mode == Mode::prefix && loaded.config.prefix.empty())
        throw ConfigError(settings["mode"].source + ": mode = prefix: set prefix too (e.g. prefix = ${HOSTNAME}: )");
    if (loaded.config.mode == Mode::prefix && loaded.config.max_buffer_bytes < 4096)
        throw ConfigError(settings["max_buffer_bytes"].source + ": max_buffer_bytes = " +
                          quoted(settings["max_buffer_bytes"].value) + ": must be at least 4KiB with mode = prefix");

    const Config& c = loaded.config;
    if (c.proxy_protocol != ProxyProtocol::off && c.idle_timeout > 0 && c.idle_timeout < c.proxy_header_timeout)
        loaded.warnings.push_back("idle_timeout (" + settings["idle_timeout"].value + ") is shorter than "
                                  "proxy_header_timeout (" + settings["proxy_header_timeout"].value +
                                  "): a connection still waiting for its PROXY header is closed as idle first");
    // Someone tuning edge triggering on poll would otherwise measure nothing and not know why.
    if (c.backend != Backend::epoll && settings["epoll_mode"].source != "default")
        loaded.warnings.push_back("epoll_mode = " + printable(settings["epoll_mode"].value) + " (" +
                                  printable(settings["epoll_mode"].source) + ") has no effect: backend = " +
                                  backend_name(c.backend) + ", and epoll_mode applies to backend = epoll only");
    for (const auto& k : keys()) loaded.values[k.name] = settings[k.name].value;

    if (cli.count("healthcheck")) {
        loaded.action = LoadedConfig::Action::healthcheck;
        return loaded;
    }
    if (cli.count("print-config")) {
        loaded.action = LoadedConfig::Action::print_config;
        std::ostringstream out;
        for (const auto& k : keys()) {
            const Setting& s = settings[k.name];
            std::string assignment = std::string(k.name) + " = " + s.value;
            assignment.resize(std::max<std::size_t>(assignment.size(), 32), ' ');
            out << assignment << " # " << printable(s.source) << "\n";  // the source may be a path
        }
        loaded.text = out.str();
    }
    return loaded;
}
}  // namespace

LoadedConfig load_config(int argc, const char* const argv[], const char* const* envp) {
    std::optional<log::Format> log_format;
    try {
        return load_settings(argc, argv, envp, log_format);
    } catch (ConfigError& e) {
        if (log_format) e.log_format = *log_format;
        throw;
    }
}

}  // namespace echomux
