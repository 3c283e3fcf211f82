// SPDX-License-Identifier: BSL-1.0
// Which settings a reload (SIGHUP) applies while serving: one list, read by the reload to
// merge and by its log to say what needs a restart.
#include "echomux/server/config.hpp"

namespace echomux {

namespace {
struct Reloadable {
    const char* key;
    void (*copy)(Config& to, const Config& from);
};
// Keys are named as the Config fields they set.
#define ECHOMUX_RELOADABLE(field) {#field, [](Config& to, const Config& from) { to.field = from.field; }}
const Reloadable kReloadable[] = {
    ECHOMUX_RELOADABLE(mode),           ECHOMUX_RELOADABLE(prefix),           ECHOMUX_RELOADABLE(greeting),
    ECHOMUX_RELOADABLE(proxy_protocol), ECHOMUX_RELOADABLE(proxy_header_timeout),
    ECHOMUX_RELOADABLE(max_connections), ECHOMUX_RELOADABLE(max_buffer_bytes), ECHOMUX_RELOADABLE(idle_timeout),
    ECHOMUX_RELOADABLE(drain_timeout),  ECHOMUX_RELOADABLE(shutdown_delay),   ECHOMUX_RELOADABLE(access_log),
    ECHOMUX_RELOADABLE(log_level),      ECHOMUX_RELOADABLE(log_format),
};
#undef ECHOMUX_RELOADABLE
}  // namespace

bool reloadable(const std::string& key) {
    for (const Reloadable& r : kReloadable)
        if (key == r.key) return true;
    return false;
}

Config with_reloadable(const Config& running, const Config& next) {
    Config merged = running;
    for (const Reloadable& r : kReloadable) r.copy(merged, next);
    return merged;
}

}  // namespace echomux
