// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/config.hpp"

namespace echomux {

NameTable<BackendChoice> backend_names() {
    static const Named<BackendChoice> rows[] = {
        {"asio", {Backend::asio, std::nullopt}},
        {"auto", {Backend::automatic, std::nullopt}},
        {"epoll", {Backend::epoll, std::nullopt}},
        {"epoll-level", {Backend::epoll, EpollMode::level}},
        {"epoll-edge", {Backend::epoll, EpollMode::edge}},
        {"poll", {Backend::poll, std::nullopt}},
        {"select", {Backend::select, std::nullopt}},
        {"io_uring", {Backend::io_uring, std::nullopt}},
    };
    return rows;
}

NameTable<EpollMode> epoll_mode_names() {
    static constexpr Named<EpollMode> rows[] = {{"level", EpollMode::level}, {"edge", EpollMode::edge}};
    return rows;
}

NameTable<ProxyProtocol> proxy_protocol_names() {
    static constexpr Named<ProxyProtocol> rows[] = {
        {"off", ProxyProtocol::off}, {"optional", ProxyProtocol::optional}, {"required", ProxyProtocol::required}};
    return rows;
}

NameTable<TlsVersion> tls_version_names() {
    static constexpr Named<TlsVersion> rows[] = {{"1.2", TlsVersion::v1_2}, {"1.3", TlsVersion::v1_3}};
    return rows;
}

NameTable<TlsClientAuth> tls_client_auth_names() {
    static constexpr Named<TlsClientAuth> rows[] = {
        {"off", TlsClientAuth::off}, {"optional", TlsClientAuth::optional}, {"required", TlsClientAuth::required}};
    return rows;
}

const char* backend_name(Backend backend) { return backend_names().name({backend, std::nullopt}); }

const char* epoll_mode_name(EpollMode mode) { return epoll_mode_names().name(mode); }

const char* proxy_protocol_name(ProxyProtocol p) { return proxy_protocol_names().name(p); }

std::string backend_label(Backend backend, EpollMode mode) {
    // Only epoll has a mode, and a running epoll loop always has one.
    return backend_names().name({backend, backend == Backend::epoll ? std::optional(mode) : std::nullopt});
}

std::string backend_label(const Config& config) { return backend_label(config.backend, config.epoll_mode); }

std::string backend_labels() {
    std::string out;
    for (const auto& row : backend_names()) {
        const bool one_loop = row.value.backend != Backend::automatic &&
                              (row.value.backend != Backend::epoll || row.value.mode);
        if (one_loop) out += (out.empty() ? "" : " ") + std::string(row.name);
    }
    return out;
}

}  // namespace echomux
