// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/config.hpp"

#include "echomux/core/fault_plan.hpp"
#include "echomux/core/tls_context.hpp"

#include "config_keys.hpp"
#include "config_listeners.hpp"
#include "config_sources.hpp"
#include "config_values.hpp"
#include "echomux/util/socket_address.hpp"
#include "echomux/util/version.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <sstream>
#include <vector>

namespace po = boost::program_options;

namespace echomux {
namespace {

po::options_description key_options() {
    po::options_description desc("Settings (conf file key: the flag with _ for -; variable: ECHOMUX_<KEY>)");
    for (const auto& k : keys()) {
        const std::string help = k.help + " [" + k.fallback + "]";
        const std::string names = flag_name(k.name) + (k.short_flag ? std::string(",") + k.short_flag : "");
        desc.add_options()(names.c_str(), po::value<std::string>()->value_name(k.placeholder), help.c_str());
    }
    return desc;
}

std::string usage(const po::options_description& desc) {
    std::ostringstream out;
    out << "Usage: echomux [--config FILE] [--KEY=VALUE ...]\n"
        << "RFC 862 TCP and UDP echo server, with PROXY protocol v1/v2, on Boost.Asio, epoll, poll, select\n"
        << "or io_uring. Precedence: command line > ECHOMUX_<KEY> environment > conf file > built-in\n"
        << "default. Sizes: B, KB/MB/GB (1000s), K/KiB, M/MiB, G/GiB (1024s); durations: seconds, or\n"
        << "ms, s, m, h, d. Exit status: 0 ok, 1 runtime failure (e.g. port in use), 2 bad configuration.\n\n"
        << desc;
    return out.str();
}

// `--greeting --port=19081`: Program_options would take the next flag as the value and the
// flag would be lost without a word. A value that starts with -- is written `--greeting=--x`.
void refuse_a_flag_as_value(const std::string& arg, const char* next, const po::options_description& all) {
    if (!next || std::strncmp(next, "--", 2) != 0) return;
    const bool is_long = arg.rfind("--", 0) == 0 && arg.size() > 2 && arg.find('=') == std::string::npos;
    const bool is_short = arg.size() == 2 && arg[0] == '-' && arg[1] != '-';
    if (!is_long && !is_short) return;
    const auto* option = all.find_nothrow(is_long ? arg.substr(2) : arg, false);
    if (!option || option->semantic()->max_tokens() == 0) return;
    const std::string flag = is_long ? arg : "--" + option->long_name();
    throw ConfigError("command line: option " + quoted(arg) + " needs a value, and the next argument " + quoted(next) +
                      " is a flag; a value that starts with -- is written " + flag + "=" + printable(next));
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
        refuse_a_flag_as_value(a, i + 1 < argc ? argv[i + 1] : nullptr, all);
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

// Defaults that follow another key. metrics_listen is served where echo is unless asked
// otherwise: --listen 127.0.0.1 alone must not expose /metrics on every interface. An
// epoll-level / epoll-edge backend names the mode; an epoll_mode that says otherwise is
// an error naming both, rather than one silently winning.
void follow_other_keys(Settings& settings) {
    if (settings["metrics_listen"].source == "default")
        settings["metrics_listen"] = {settings["listen"].value, "default: listen"};
    const Setting& backend = settings["backend"];
    const auto choice = backend_names().parse(backend.value);
    if (!choice || !choice->mode) return;  // a bad name is reported when backend is applied
    Setting& mode = settings["epoll_mode"];
    const char* named = epoll_mode_name(*choice->mode);
    if (mode.source == "default") {
        mode = {named, "default: backend"};
    } else if (epoll_mode_names().parse(mode.value) && mode.value != named) {  // a bad one: applying says why
        throw ConfigError(mode.source + ": epoll_mode = " + quoted(mode.value) + " contradicts backend = " +
                          quoted(backend.value) + " (" + backend.source + "); set one of them, or backend = epoll");
    }
}

void apply(const Key& k, const Setting& s, Config& config) {
    try {
        k.apply(config, s.value);
    } catch (const BadValue& e) {
        std::string hint;
        if (s.value.rfind("tcp://", 0) == 0)
            hint = " (Kubernetes service links set ECHOMUX_* variables; use enableServiceLinks: false)";
        if (s.value.size() >= 2 && (s.value.front() == '"' || s.value.front() == '\'') && s.value.back() == s.value.front())
            hint = " (values are written without quotes)";
        throw ConfigError(s.source + ": " + k.name + " = " + quoted(s.value) + ": " + e.what() + hint);
    }
}

// Rules between keys, once each has a valid value: errors, then what is only worth a warning.
// Values that follow from others once all are read. On a udp listener, a fault_probability
// below 1 is the share of datagrams to drop; 1, the default (which the shipped conf file
// writes out), drops none: a UDP echo that answers nothing is served by udp = off.
void derive(Config& c) { c.udp_drop = c.udp && c.fault_probability < 1 ? c.fault_probability : 0; }

void check_together(const Config& c, Settings& settings, std::vector<std::string>& warnings) {
    // Found here, not at bind time, where it would read as "another process holds the port".
    if (c.metrics_port != 0 && c.metrics_port == c.port && listen_addresses_overlap(c.listen, c.metrics_listen))
        throw ConfigError(settings["metrics_port"].source + ": metrics_port = " + quoted(settings["metrics_port"].value) +
                          ": the echo port too (port, " + settings["port"].source +
                          "); the metrics endpoint needs a port of its own, or another metrics_listen address");
    if (c.mode == Mode::prefix && c.prefix.empty())
        throw ConfigError(settings["mode"].source + ": mode = prefix: set prefix too (e.g. prefix = ${HOSTNAME}: )");
    if (c.mode == Mode::prefix && c.max_buffer_bytes < 4096)
        throw ConfigError(settings["max_buffer_bytes"].source + ": max_buffer_bytes = " +
                          quoted(settings["max_buffer_bytes"].value) + ": must be at least 4KiB with mode = prefix");
    if (c.proxy_protocol != ProxyProtocol::off && c.idle_timeout > 0 && c.idle_timeout < c.proxy_header_timeout)
        warnings.push_back("idle_timeout (" + settings["idle_timeout"].value + ") is shorter than "
                           "proxy_header_timeout (" + settings["proxy_header_timeout"].value +
                           "): a connection still waiting for its PROXY header is closed as idle first");
    const int byte_faults = (c.close_after_bytes != 0) + (c.reset_after_bytes != 0) + (c.stall_after_bytes != 0);
    if (byte_faults > 1)
        throw ConfigError(settings["close_after_bytes"].source + ": close_after_bytes, reset_after_bytes and "
                          "stall_after_bytes: set one of them (a connection ends one way); another listener can have another");
    if (c.close_after > 0 && c.reset_after > 0)
        throw ConfigError(settings["close_after"].source + ": close_after and reset_after: set one of them (a "
                          "connection ends one way); another listener can have another");
    if (c.delay_jitter > c.delay)
        throw ConfigError(settings["delay_jitter"].source + ": delay_jitter = " +
                          quoted(settings["delay_jitter"].value) + ": more than delay (" + settings["delay"].value +
                          "): a delay cannot be negative");
    if (c.udp) {
        const char* tcp_only = *byte_fault_name(c)       ? byte_fault_name(c)
                               : c.close_after > 0       ? "close_after"
                               : c.reset_after > 0       ? "reset_after"
                               : c.bandwidth > 0         ? "bandwidth"
                               : c.accept_delay > 0      ? "accept_delay"
                                                         : nullptr;
        if (tcp_only)
            throw ConfigError(settings["udp"].source + ": udp = on with " + tcp_only + " (" +
                              settings[tcp_only].source + "): that fault applies to TCP connections only; "
                              "serve UDP on a listener without it");
    }
    if (!c.tls_cert.empty()) {
        if (c.tls_client_auth != TlsClientAuth::off && c.tls_client_ca.empty())
            throw ConfigError(settings["tls_client_auth"].source + ": tls_client_auth = " +
                              settings["tls_client_auth"].value +
                              ": set tls_client_ca too, the CAs (PEM) client certificates are verified against");
        try {
            const TlsContext loaded(c);  // the files as the loops will load them
            if (!loaded.expiry_warning().empty()) warnings.push_back(loaded.expiry_warning());
        } catch (const std::exception& e) {
            throw ConfigError(settings["tls_cert"].source + ": " + e.what());
        }
    } else if (!c.tls_key.empty()) {
        throw ConfigError(settings["tls_key"].source + ": tls_key without tls_cert: set both, or neither");
    }
    // Someone tuning edge triggering on poll would otherwise measure nothing and not know
    // why. With auto, epoll may be what runs.
    const bool may_run_epoll = c.backend == Backend::epoll || c.backend == Backend::automatic;
    if (c.name == "main" && !may_run_epoll && settings["epoll_mode"].source != "default")
        warnings.push_back("epoll_mode = " + printable(settings["epoll_mode"].value) + " (" +
                           printable(settings["epoll_mode"].source) + ") has no effect: backend = " +
                           backend_name(c.backend) + ", and epoll_mode applies to backend = epoll only");
}

// `key = value  # source` lines: a conf file the server reads back to the same settings.
// A listener's section lists every key it has, each with where its value came from.
std::string print_config(Settings& settings, const std::vector<ListenerSettings>& listeners) {
    std::ostringstream out;
    const auto line = [&out](const char* name, const Setting& s) {
        std::string assignment = std::string(name) + " = " + s.value;
        assignment.resize(std::max<std::size_t>(assignment.size(), 32), ' ');
        out << assignment << " # " << printable(s.source) << "\n";  // the source may be a path
    };
    for (const auto& k : keys()) line(k.name, settings[k.name]);
    for (const auto& listener : listeners) {
        if (listener.derived) continue;  // tls_port says it
        out << "\n[listener " << listener.name << "]\n";
        for (const auto& k : keys())
            if (k.scope == Scope::listener) line(k.name, listener.settings.at(k.name));
    }
    return out.str();
}

// A listener's Config: the main one's (so the whole server's keys too), its own keys over it.
Config listener_config(const Config& main, const ListenerSettings& listener, std::vector<std::string>& warnings) {
    Config c = main;
    c.name = listener.name;
    c.tls_port = 0;
    Settings settings = listener.settings;
    try {
        for (const auto& k : keys())
            if (k.scope == Scope::listener) apply(k, settings[k.name], c);
        derive(c);
        check_together(c, settings, warnings);
    } catch (const ConfigError& e) {
        throw ConfigError("listener " + listener.name + ": " + e.what());
    }
    return c;
}

}  // namespace

ConfigError::ConfigError(const std::string& message) : std::runtime_error(printable(message)) {}

std::string version_text() {
    return std::string("echomux ") + version() + " (revision " + revision() + ")\nbackends: " + backend_labels() + "\n";
}

namespace {
// load_config's work; sets `log_format` as soon as the settings say which it is, so an
// error found after that is reported in it.
LoadedConfig load_settings(int argc, const char* const argv[], const char* const* envp,
                           std::optional<log::Format>& log_format) {
    po::options_description general("General");
    general.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
        "print-config", "print the effective configuration, with where each value came from, and exit")(
        "check-config,t",
        "check the configuration (conf file, environment, flags) and exit: 0 and \"configuration OK\" when "
        "every setting is valid, else 2 and what is wrong; binds nothing (as nginx -t; systemctl reload runs it first)")(
        "healthcheck", po::value<std::string>()->implicit_value("ready")->value_name("ready|live"),
        "probe this configuration's /healthz (metrics_port; =live: /livez, every event loop turning) and exit: 0 if "
        "it answers 200, else 1 (container HEALTHCHECK)")(
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

    Settings settings;
    for (const auto& k : keys()) settings[k.name] = {k.fallback, "default"};

    std::optional<Setting> config_path;
    for (auto e = envp; e && *e; ++e)
        if (std::strncmp(*e, "ECHOMUX_CONFIG=", 15) == 0) config_path = Setting{*e + 15, "env ECHOMUX_CONFIG"};
    if (cli.count("config")) config_path = Setting{cli["config"].as<std::string>(), "command line"};
    // Most likely a deployment template whose variable came out empty: not "no conf file".
    if (config_path && config_path->value.empty())
        throw ConfigError(config_path->source + ": config = '': must be the path of a conf file (or not set at all)");
    std::vector<ListenerSection> sections;
    if (config_path) read_conf_file(config_path->value, settings, sections);
    read_environment(envp, settings, loaded.warnings);
    for (const auto& k : keys())
        if (cli.count(flag_name(k.name))) settings[k.name] = {cli[flag_name(k.name)].as<std::string>(), "command line"};
    log_format = log::parse_format(settings["log_format"].value);
    follow_other_keys(settings);

    for (const auto& k : keys()) apply(k, settings[k.name], loaded.config);
    const std::vector<ListenerSettings> extra = extra_listener_settings(settings, sections);
    for (const auto& listener : extra) loaded.listeners.push_back(listener_config(loaded.config, listener, loaded.warnings));
    if (loaded.config.tls_port != 0) {  // the pair serves the tls listener; the main port stays plaintext
        loaded.config.tls_cert.clear();
        loaded.config.tls_key.clear();
    }
    derive(loaded.config);
    check_together(loaded.config, settings, loaded.warnings);
    std::vector<Config> every{loaded.config};
    std::vector<const Settings*> every_settings{&settings};
    for (std::size_t i = 0; i < extra.size(); ++i) {
        every.push_back(loaded.listeners[i]);
        every_settings.push_back(&extra[i].settings);
    }
    check_listener_ports(every, every_settings);
    for (const auto& k : keys()) loaded.values[k.name] = settings[k.name].value;
    for (const auto& listener : extra)
        for (const auto& [key, setting] : listener.settings) loaded.values[listener.name + "." + key] = setting.value;

    if (cli.count("healthcheck")) {
        const std::string mode = cli["healthcheck"].as<std::string>();
        if (mode != "ready" && mode != "live")
            throw ConfigError("command line: --healthcheck=" + mode + ": must be ready (/healthz) or live (/livez)");
        loaded.action = LoadedConfig::Action::healthcheck;
        loaded.probe_liveness = mode == "live";
        return loaded;
    }
    if (cli.count("check-config")) {
        loaded.action = LoadedConfig::Action::check_config;
        loaded.text = "configuration OK: " +
                      (config_path ? printable(config_path->value) : std::string("no conf file (defaults, environment, flags)")) +
                      "\n";
        return loaded;
    }
    if (cli.count("print-config")) {
        loaded.action = LoadedConfig::Action::print_config;
        loaded.text = print_config(settings, extra);
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
