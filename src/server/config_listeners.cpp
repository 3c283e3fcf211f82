// SPDX-License-Identifier: BSL-1.0
#include "config_listeners.hpp"

#include "config_keys.hpp"
#include "echomux/server/config.hpp"
#include "echomux/util/socket_address.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace echomux {
namespace {

// The main listener's keys, as a listener that sets none of them inherits them.
Settings inherited(const Settings& main) {
    Settings settings;
    for (const auto& k : keys())
        if (k.scope == Scope::listener) {
            const Setting& s = main.at(k.name);
            settings[k.name] = {s.value, "as main: " + s.source};
        }
    return settings;
}

}  // namespace

std::vector<ListenerSettings> extra_listener_settings(const Settings& main,
                                                      const std::vector<ListenerSection>& sections) {
    const Setting& tls_port = main.at("tls_port");
    // With tls_port, the tls_* keys serve that port's listener; the main one, and so what
    // the sections inherit from it, stays plaintext.
    Settings plaintext_main = main;
    if (tls_port.value != "0")
        for (const char* key : {"tls_cert", "tls_key"}) plaintext_main[key] = {"", "tls_port: its listener's only"};
    std::vector<ListenerSettings> listeners;
    for (const auto& section : sections) {
        ListenerSettings listener{section.name, inherited(plaintext_main)};
        for (const auto& [key, setting] : section.settings) listener.settings[key] = setting;
        listeners.push_back(std::move(listener));
    }
    if (tls_port.value == "0") return listeners;
    for (const auto& section : sections)
        if (section.name == kTlsPortListener)
            throw ConfigError(tls_port.source + ": tls_port = " + quoted(tls_port.value) + " adds a listener named tls, "
                              "and " + section.place + " has one: use one of them");
    if (main.at("tls_cert").value.empty())
        throw ConfigError(tls_port.source + ": tls_port = " + quoted(tls_port.value) +
                          ": set tls_cert (and tls_key) too, the pair it serves");
    ListenerSettings tls{kTlsPortListener, inherited(main), true};
    tls.settings["port"] = {tls_port.value, tls_port.source};
    tls.settings["udp"] = {"off", "tls_port: TLS is TCP only"};
    listeners.push_back(std::move(tls));
    return listeners;
}

bool listen_addresses_overlap(const std::string& a, const std::string& b) {
    // `::` takes IPv4 too (echomux clears IPV6_V6ONLY), 0.0.0.0 every IPv4 address; compared
    // as IPv6, with IPv4 as ::ffff:a.b.c.d.
    const auto as_ipv6 = [](const std::string& text) {
        std::array<unsigned char, 16> bytes{};
        const auto address = parse_socket_address(text, 0);
        if (!address) return bytes;  // not reached: both were checked as addresses
        if (address->family() == AF_INET) {
            bytes[10] = bytes[11] = 0xff;
            std::memcpy(&bytes[12], &reinterpret_cast<const sockaddr_in*>(address->get())->sin_addr, 4);
        } else {
            std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address->get())->sin6_addr, 16);
        }
        return bytes;
    };
    const auto x = as_ipv6(a), y = as_ipv6(b);
    const std::array<unsigned char, 16> any6{}, any4{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
    const auto ipv4 = [&any4](const std::array<unsigned char, 16>& v) {
        return std::equal(v.begin(), v.begin() + 12, std::begin(any4));
    };
    return x == y || x == any6 || y == any6 || (x == any4 && ipv4(y)) || (y == any4 && ipv4(x));
}

void check_listener_ports(const std::vector<Config>& all, const std::vector<const Settings*>& settings) {
    for (std::size_t i = 1; i < all.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            const Config &a = all[j], &b = all[i];
            if (b.port == 0 || a.port != b.port || !listen_addresses_overlap(a.listen, b.listen)) continue;
            throw ConfigError(settings[i]->at("port").source + ": listener " + b.name + ": port = " +
                              std::to_string(b.port) + " is listener " + a.name + "'s too (" +
                              settings[j]->at("port").source + "); each listener needs a port of its own");
        }
}

}  // namespace echomux
