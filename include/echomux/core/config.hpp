// SPDX-License-Identifier: BSL-1.0
// The settings a server runs with, as plain values: what the core and the backends read.
// Loading, validating and reloading them is the server's part (server/config.hpp).
#pragma once

#include "echomux/core/echo_protocol.hpp"
#include "echomux/util/log.hpp"
#include "echomux/util/name_table.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace echomux {

// `automatic` is backend = auto as asked: resolve_backend (event_loop_factory.hpp) makes it
// io_uring or epoll at start, so no loop ever runs as it.
enum class Backend { asio, epoll, poll, select, io_uring, automatic };
enum class TlsVersion { v1_2, v1_3 };
// Client certificates: not asked for, verified when sent, or required.
enum class TlsClientAuth { off, optional, required };
enum class EpollMode { level, edge };
// A PROXY protocol header (v1 or v2) before the client's bytes: none, maybe, or always.
enum class ProxyProtocol { off, optional, required };

// What a `backend` value names: a loop, and for epoll-level / epoll-edge its mode too
// (plain `epoll` leaves the mode to epoll_mode).
struct BackendChoice {
    Backend backend;
    std::optional<EpollMode> mode;
    bool operator==(const BackendChoice& o) const { return backend == o.backend && mode == o.mode; }
};

// One listener's settings (the main one's, or a [listener NAME] section's over them), and
// the process-wide ones, which every listener's copy holds alike.
struct Config {
    std::string name = "main";  // the listener's: "main", or its [listener NAME] section's
    std::string listen = "0.0.0.0";
    std::uint16_t port = 7007;
    std::uint16_t tls_port = 0;  // a listener named tls on this port, with the tls_* settings; 0 = none
    bool udp = false;                       // also a UDP echo socket on listen/port
    std::uint32_t udp_rate_per_source = 1000;  // replies per second to one source address; 0 = no limit
    Mode mode = Mode::echo;
    std::string prefix;    // mode = prefix: before each line (a reply text, see reply_text.hpp)
    std::string greeting;  // one line sent on connect; empty = none
    ProxyProtocol proxy_protocol = ProxyProtocol::off;
    double proxy_header_timeout = 5;  // seconds for the whole header to arrive
    Backend backend = Backend::asio;
    EpollMode epoll_mode = EpollMode::level;
    unsigned threads = 1;
    std::size_t max_connections = 10000;
    std::size_t max_buffer_bytes = 256 * 1024;
    std::size_t read_chunk_bytes = 64 * 1024;
    int backlog = 4096;
    double idle_timeout = 300;  // seconds, 0 = never
    double drain_timeout = 10;  // seconds
    double shutdown_delay = 0;  // seconds of accepting after SIGTERM while /healthz says 503
    double liveness_timeout = 5;  // seconds an event loop may stay out of its wait; 0 = never wedged
    log::Level log_level = log::Level::info;
    log::Format log_format = log::Format::text;
    bool access_log = false;  // a line per connection as it ends
    std::string metrics_listen = "0.0.0.0";
    std::uint16_t metrics_port = 0;  // 0 = no metrics endpoint
    std::size_t metrics_max_connections = 16;  // HTTP sessions; each is a descriptor and a few KiB
    unsigned udp_rate_ipv6_prefix = 64;  // udp_rate_per_source counts an IPv6 source per this many bits
    // TLS on the listener: on when tls_cert is set (PEM; a chain file works).
    std::string tls_cert, tls_key;
    TlsVersion tls_min_version = TlsVersion::v1_2;
    double tls_handshake_timeout = 5;  // seconds for a client to finish its handshake
    std::string tls_alpn;  // protocols offered, in preference order, comma-separated; empty = no ALPN
    TlsClientAuth tls_client_auth = TlsClientAuth::off;
    std::string tls_client_ca;  // PEM: the CAs client certificates are verified against
    // Faults on purpose (core/fault_plan.hpp), each off (0) by default: after this many bytes
    // sent to a client, greeting included, close it (FIN), reset it (RST), or stall it; for
    // fault_probability of the connections, drawn at accept.
    std::uint64_t close_after_bytes = 0, reset_after_bytes = 0, stall_after_bytes = 0;
    double close_after = 0, reset_after = 0;  // seconds from the start: close (FIN) or reset
    double fault_probability = 1;
    // For every connection: each echoed byte waits delay ± delay_jitter seconds; the echo is
    // paced to bandwidth bytes per second; nothing at all for accept_delay seconds.
    double delay = 0, delay_jitter = 0, accept_delay = 0;
    std::uint64_t bandwidth = 0;
    // Not a key: on a listener with udp = on, a fault_probability below 1 as the share of
    // datagrams dropped (config.cpp); 0 otherwise.
    double udp_drop = 0;
};

// Each enum's names, once (src/core/config_names.cpp): what the conf file accepts, and
// what logs, metrics, --version and --print-config print.
NameTable<BackendChoice> backend_names();
NameTable<EpollMode> epoll_mode_names();
NameTable<ProxyProtocol> proxy_protocol_names();
NameTable<TlsVersion> tls_version_names();
NameTable<TlsClientAuth> tls_client_auth_names();

const char* backend_name(Backend backend);  // "epoll" for both modes
const char* epoll_mode_name(EpollMode mode);
const char* proxy_protocol_name(ProxyProtocol p);
// The loop that runs, as a `backend` value that selects exactly it: "asio", "epoll-edge"...
std::string backend_label(Backend backend, EpollMode mode);
std::string backend_label(const Config& config);
// Every loop a server can run, as labels: "asio epoll-level epoll-edge poll select io_uring".
std::string backend_labels();

}  // namespace echomux
