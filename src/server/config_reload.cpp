// SPDX-License-Identifier: BSL-1.0
// Which settings a reload (SIGHUP) applies while serving, read off the key table: by the
// reload to merge, and by its log to say what needs a restart.
#include "config_keys.hpp"
#include "echomux/server/config.hpp"

namespace echomux {

bool reloadable(const std::string& key) {
    const Key* k = find_key(key);
    return k && k->reload == Reload::live;
}

Config with_reloadable(const Config& running, const Config& next) {
    Config merged = running;
    for (const auto& k : keys())
        if (k.reload == Reload::live) k.copy(merged, next);
    return merged;
}

}  // namespace echomux
