// SPDX-License-Identifier: BSL-1.0
// Which settings a reload (SIGHUP) applies while serving, read off the key table: by the
// reload to merge, and by its log to say what needs a restart.
#include "config_keys.hpp"
#include "echomux/server/config.hpp"

namespace echomux {

bool reloadable(const std::string& key) {
    const Key* k = find_key(key.substr(key.find('.') + 1));  // "tls.greeting": a listener's
    return k && k->reload == Reload::live;
}

Config with_process_keys(const Config& listener, const Config& main) {
    Config merged = listener;
    for (const auto& k : keys())
        if (k.scope == Scope::process) k.copy(merged, main);
    return merged;
}

Config with_reloadable(const Config& running, const Config& next) {
    Config merged = running;
    for (const auto& k : keys())
        if (k.reload == Reload::live) k.copy(merged, next);
    // What follows from a live key (fault_probability), where udp, which takes a restart, has not changed.
    if (merged.udp == next.udp) merged.udp_drop = next.udp_drop;
    return merged;
}

}  // namespace echomux
