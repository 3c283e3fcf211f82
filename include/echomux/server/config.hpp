// SPDX-License-Identifier: BSL-1.0
// Effective configuration: built-in defaults < conf file < ECHOMUX_* environment <
// command line, parsed with Boost.Program_options. Every value is validated here, so the
// rest of the server can trust it.
#pragma once

#include "echomux/core/config.hpp"
#include "echomux/util/log.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace echomux {

// What --version prints: "echomux 0.1.0 (revision 4d1da88)" and a "backends: ..." line.
std::string version_text();

// Any problem with the configuration: one line naming the key and where it came from.
// Bytes outside printable ASCII in `message` (a stray control byte, a terminal escape, a
// NUL from a conf file) are shown as \xHH.
struct ConfigError : std::runtime_error {
    explicit ConfigError(const std::string& message);
    // How to report it: log_format as configured when the settings could be read and
    // log_format's own value is valid; text when the error came first (a bad flag, an
    // unreadable conf file), since the conf file might have said otherwise.
    log::Format log_format = log::Format::text;
};

struct LoadedConfig {
    enum class Action { run, help, version, print_config, healthcheck, check_config };
    Action action = Action::run;
    Config config;                  // the main listener's, and the whole server's
    std::vector<Config> listeners;  // every other listener's ([listener NAME] sections, tls_port)
    std::string text;  // help, version, print-config or check-config output, when action asks for it
    bool probe_liveness = false;  // --healthcheck=live: /livez rather than /healthz
    std::vector<std::string> warnings;  // worth a log line, not worth refusing to start
    // Each key's effective value, as written: "port" for the main listener, "NAME.port" for another.
    std::map<std::string, std::string> values;
};

// What a reload (SIGHUP) can apply while serving: the settings new connections start with,
// the limits and timeouts, the logs. Anything else (addresses, ports, backend, threads,
// buffers sized at start) needs a restart. Each key's row in the table says which.
bool reloadable(const std::string& key);  // a key of `values`
// `running`, with the reloadable settings taken from `next`.
Config with_reloadable(const Config& running, const Config& next);
// A listener's settings with the whole server's (`main`'s) in place of its copies: after
// the main settings were fitted to the open file limit, or reloaded.
Config with_process_keys(const Config& listener, const Config& main);

// Throws ConfigError. `envp` is the environment to read ECHOMUX_* keys from.
LoadedConfig load_config(int argc, const char* const argv[], const char* const* envp);

}  // namespace echomux
