// SPDX-License-Identifier: BSL-1.0
// Internal to the config loader: the one table of settings. Each key is one row: its name,
// built-in default, whether a reload applies it, how its text is read and checked, where
// it lands in Config, and its help. Parsing, --help, the ECHOMUX_* names, --print-config
// and what a reload applies are all read off this table, so a key cannot be half-added.
#pragma once

#include "config_values.hpp"
#include "echomux/core/config.hpp"

#include <functional>
#include <string>
#include <vector>

namespace echomux {

// live: a reload (SIGHUP) applies it to new connections, limits and logs while serving.
// restart: addresses, ports, the loops and what is sized at start keep their start value.
enum class Reload { live, restart };

// listener: each listener may set it (a [listener NAME] section); one it does not set is the
// main listener's. process: one value for the whole server (loops, limits, logs, metrics).
enum class Scope { process, listener };

struct Key {
    const char* name;      // conf file spelling; the flag has - for _, the variable is ECHOMUX_<NAME>
    const char* fallback;  // the built-in default, as written in a conf file
    Reload reload;
    const char* placeholder;  // the value in --help
    std::string help;
    std::function<void(Config&, const std::string&)> apply;  // parse, check, store; throws BadValue
    std::function<void(Config& to, const Config& from)> copy;  // the field it lands in
    char short_flag = 0;  // -p for port; 0: none
    Scope scope = Scope::process;
};

const std::vector<Key>& keys();
const Key* find_key(const std::string& name);  // nullptr when no key has this name

std::string flag_name(const std::string& key);  // max_connections -> max-connections
std::string env_name(const std::string& key);   // max_connections -> ECHOMUX_MAX_CONNECTIONS

}  // namespace echomux
