#include "echomux/config.hpp"

#include "echomux/socket_address.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <vector>

namespace po = boost::program_options;

namespace echomux {
namespace {

constexpr const char* kVersion = "echomux 0.1.0";

// A value whose text cannot be used; the caller adds the key and where it came from.
struct BadValue : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") + 1 - b);
}

unsigned long long parse_whole(const std::string& text, unsigned long long min, unsigned long long max,
                               const char* what) {
    std::ostringstream range;
    range << "must be " << what << " from " << min << " to " << max;
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) throw BadValue(range.str());
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
    if (errno == ERANGE || v < min || v > max) throw BadValue(range.str());
    return v;
}

// Byte counts accept K/KiB, M/MiB, G/GiB suffixes (powers of two): "256KiB", "1M".
std::size_t parse_bytes(const std::string& text, unsigned long long min, unsigned long long max) {
    std::ostringstream range;
    range << "must be a byte count from " << min << " to " << max << " (suffixes K, M, G, KiB, MiB, GiB)";
    const auto digits = text.find_first_not_of("0123456789");
    const std::string number = text.substr(0, digits);
    const std::string suffix = digits == std::string::npos ? "" : text.substr(digits);
    unsigned long long unit = 1;
    if (suffix == "K" || suffix == "KiB") unit = 1ull << 10;
    else if (suffix == "M" || suffix == "MiB") unit = 1ull << 20;
    else if (suffix == "G" || suffix == "GiB") unit = 1ull << 30;
    else if (!suffix.empty()) throw BadValue(range.str());
    const unsigned long long v = parse_whole(number, 0, max, "a byte count");
    if (v > max / unit || v * unit < min || v * unit > max) throw BadValue(range.str());
    return static_cast<std::size_t>(v * unit);
}

// Durations are seconds, optionally with a unit: "300", "1.5", "250ms", "5m".
double parse_seconds(const std::string& text, double max) {
    std::ostringstream range;
    range << "must be a duration from 0 to " << max << " seconds (\"300\", \"1.5s\", \"250ms\", \"5m\")";
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || errno == ERANGE || !std::isfinite(v)) throw BadValue(range.str());
    const std::string unit = end;
    if (unit == "ms") v /= 1000;
    else if (unit == "m") v *= 60;
    else if (!unit.empty() && unit != "s") throw BadValue(range.str());
    if (v < 0 || v > max) throw BadValue(range.str());
    return v;
}

template <class T, class Parse>
T parse_choice(const std::string& text, Parse parse, const char* choices) {
    if (auto v = parse(text)) return *v;
    throw BadValue(std::string("must be one of: ") + choices);
}

std::string parse_address(const std::string& v) {
    if (!parse_socket_address(v, 0))
        throw BadValue("must be an IPv4 or IPv6 address, such as 0.0.0.0, 127.0.0.1, :: or ::1");
    return v.size() > 2 && v.front() == '[' ? v.substr(1, v.size() - 2) : v;
}

std::optional<Backend> parse_backend(const std::string& s) {
    for (auto b : {Backend::asio, Backend::epoll, Backend::poll, Backend::select})
        if (s == backend_name(b)) return b;
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
        {"mode", "echo", "echo: bytes back unchanged; upper: ASCII letters upper-cased",
         [](Config& c, const std::string& v) { c.mode = parse_choice<Mode>(v, parse_mode, "echo, upper"); }},
        {"backend", "asio", "event loop: asio, epoll, poll, select",
         [](Config& c, const std::string& v) {
             c.backend = parse_choice<Backend>(v, parse_backend, "asio, epoll, poll, select");
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
        {"log_level", "info", "error, warn, info or debug",
         [](Config& c, const std::string& v) {
             c.log_level = parse_choice<log::Level>(v, log::parse_level, "error, warn, info, debug");
         }},
        {"metrics_listen", "0.0.0.0", "address of the HTTP /metrics and /healthz endpoint",
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

// Line of `key = ...` (or of `text`) in a conf file, for messages; 0 when not found.
int find_line(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        const std::string t = trim(line);
        if (t.rfind(key, 0) == 0 && (t.size() == key.size() || t[key.size()] == ' ' || t[key.size()] == '\t' ||
                                     t[key.size()] == '='))
            return n;
    }
    return 0;
}

std::string file_place(const std::string& path, const std::string& key) {
    const int line = find_line(path, key);
    return line > 0 ? path + ":" + std::to_string(line) : path;
}

// Flags are spelled with dashes (--max-connections), conf file keys with underscores.
std::string flag_name(const std::string& key) {
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

po::options_description key_options(bool flags) {
    po::options_description desc(flags ? "Settings (conf file key: the flag with _ for -; variable: ECHOMUX_<KEY>)"
                                       : "Settings");
    for (const auto& k : keys()) {
        std::string help = std::string(k.help) + " [" + k.fallback + "]";
        desc.add_options()((flags ? flag_name(k.name) : std::string(k.name)).c_str(),
                           po::value<std::string>()->value_name("V"), help.c_str());
    }
    return desc;
}

void read_file(const std::string& path, std::map<std::string, Setting>& settings) {
    std::ifstream in(path);
    if (!in) throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
    po::parsed_options parsed(nullptr);
    try {
        parsed = po::parse_config_file(in, key_options(false), false);
    } catch (const po::unknown_option& e) {
        const std::string key = e.get_option_name();
        throw ConfigError(file_place(path, key) + ": unknown key '" + key + "'");
    } catch (const po::invalid_config_file_syntax& e) {
        throw ConfigError(file_place(path, e.get_option_name()) + ": " + e.what());
    } catch (const po::error& e) {
        throw ConfigError(path + ": " + e.what());
    }
    std::map<std::string, int> seen;
    for (const auto& opt : parsed.options) {
        if (++seen[opt.string_key] > 1)
            throw ConfigError(path + ": key '" + opt.string_key + "' is set more than once");
        settings[opt.string_key] = {opt.value.empty() ? "" : trim(opt.value.front()),
                                    "file " + file_place(path, opt.string_key)};
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
        if (!known) warnings.push_back("ignoring environment variable " + name + ": not an echomux setting");
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

}  // namespace

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::asio: return "asio";
        case Backend::epoll: return "epoll";
        case Backend::poll: return "poll";
        case Backend::select: return "select";
    }
    return "?";
}

const char* epoll_mode_name(EpollMode mode) { return mode == EpollMode::edge ? "edge" : "level"; }

std::string backend_label(const Config& config) {
    std::string label = backend_name(config.backend);
    if (config.backend == Backend::epoll) label += std::string("-") + epoll_mode_name(config.epoll_mode);
    return label;
}

LoadedConfig load_config(int argc, const char* const argv[], const char* const* envp) {
    po::options_description general("General");
    general.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
        "print-config", "print the effective configuration, with where each value came from, and exit")(
        "config,c", po::value<std::string>()->value_name("FILE"),
        "conf file to read (also ECHOMUX_CONFIG); see conf/echomux.conf");
    po::options_description all;
    all.add(general).add(key_options(true));

    po::variables_map cli;
    try {
        // The conf file spelling works as a flag too: --max_connections.
        std::vector<std::string> args;
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            if (a.rfind("--", 0) == 0) std::replace(a.begin(), a.begin() + std::min(a.find('='), a.size()), '_', '-');
            args.push_back(a);
        }
        po::store(po::command_line_parser(args).options(all).run(), cli);
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
        loaded.text = std::string(kVersion) + "\n";
        return loaded;
    }

    std::map<std::string, Setting> settings;
    for (const auto& k : keys()) settings[k.name] = {k.fallback, "default"};

    std::string config_path;
    for (auto e = envp; e && *e; ++e)
        if (std::strncmp(*e, "ECHOMUX_CONFIG=", 15) == 0) config_path = *e + 15;
    if (cli.count("config")) config_path = cli["config"].as<std::string>();
    if (!config_path.empty()) read_file(config_path, settings);
    read_environment(envp, settings, loaded.warnings);
    for (const auto& k : keys())
        if (cli.count(flag_name(k.name))) settings[k.name] = {cli[flag_name(k.name)].as<std::string>(), "command line"};

    for (const auto& k : keys()) {
        const Setting& s = settings[k.name];
        try {
            k.apply(loaded.config, s.value);
        } catch (const BadValue& e) {
            std::string hint;
            if (s.value.rfind("tcp://", 0) == 0)
                hint = " (Kubernetes service links set ECHOMUX_* variables; use enableServiceLinks: false)";
            throw ConfigError(s.source + ": " + k.name + " = '" + s.value + "': " + e.what() + hint);
        }
    }

    if (cli.count("print-config")) {
        loaded.action = LoadedConfig::Action::print_config;
        std::ostringstream out;
        for (const auto& k : keys()) {
            const Setting& s = settings[k.name];
            std::string assignment = std::string(k.name) + " = " + s.value;
            assignment.resize(std::max<std::size_t>(assignment.size(), 32), ' ');
            out << assignment << " # " << s.source << "\n";
        }
        loaded.text = out.str();
    }
    return loaded;
}

}  // namespace echomux
