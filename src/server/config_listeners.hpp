// SPDX-License-Identifier: BSL-1.0
// Internal to the config loader: the listeners after the main one. Each [listener NAME]
// section's keys over the main listener's (a key it does not set is the main one's), and
// the listener tls_port asks for; and the rules between listeners.
#pragma once

#include "config_sources.hpp"
#include "echomux/core/config.hpp"

#include <string>
#include <vector>

namespace echomux {

struct ListenerSettings {
    std::string name;
    Settings settings;     // every listener key: the section's, else the main listener's
    bool derived = false;  // made by tls_port, not written as a section
};

// The name of the listener tls_port adds.
inline const char* const kTlsPortListener = "tls";

// Every extra listener's settings, in the order of the file, then tls_port's. Throws
// ConfigError for a tls_port without tls_cert, or beside a [listener tls] section.
std::vector<ListenerSettings> extra_listener_settings(const Settings& main, const std::vector<ListenerSection>& sections);

// No two listeners on one port of overlapping addresses: said here, naming both, where a
// bind would say "address in use" as if another process held it. `all` starts with main.
void check_listener_ports(const std::vector<Config>& all, const std::vector<const Settings*>& settings);

// Whether sockets bound to these two addresses on one port would collide.
bool listen_addresses_overlap(const std::string& a, const std::string& b);

}  // namespace echomux
