// SPDX-License-Identifier: BSL-1.0
#include "config_keys.hpp"

#include <algorithm>
#include <cctype>

namespace echomux {
namespace {

constexpr Reload live = Reload::live;
constexpr Reload restart = Reload::restart;

// One row: `field` is where the value lands; a named choice lists its names in the help.
template <class Field, class Value>
Key key(const char* name, const char* fallback, Reload reload, Field Config::*field, Parser<Value> parser,
        const std::string& help) {
    return {name,
            fallback,
            reload,
            parser.placeholder,
            parser.choices.empty() ? help : help + " (" + parser.choices + ")",
            [field, parse = parser.parse](Config& c, const std::string& text) {
                c.*field = static_cast<Field>(parse(text));  // in range: the parser checked
            },
            [field](Config& to, const Config& from) { to.*field = from.*field; }};
}

// A key each listener may set for itself.
Key per_listener(Key k) {
    k.scope = Scope::listener;
    return k;
}

// A key common enough on the command line to have a letter too.
Key with_short_flag(Key k, char letter) {
    k.short_flag = letter;
    return k;
}

// `backend` lands in Config::backend; the mode an epoll-level / epoll-edge value names
// reaches epoll_mode as that key's default (config.cpp), so epoll_mode stays one field.
Parser<Backend> backend_choice() {
    Parser<BackendChoice> choice = one_of(backend_names());
    return {[parse = choice.parse](const std::string& text) { return parse(text).backend; }, choice.placeholder,
            choice.choices};
}

}  // namespace

const std::vector<Key>& keys() {
    static const std::vector<Key> table = {
        per_listener(key("listen", "0.0.0.0", restart, &Config::listen, address(),
                         "address to listen on: 0.0.0.0, 127.0.0.1, :: (IPv6 + IPv4), ::1")),
        per_listener(with_short_flag(key("port", "7007", restart, &Config::port, whole(0, 65535, "a port number"),
                                         "TCP and UDP port; 0 picks a free port (logged at start)"),
                                     'p')),
        key("tls_port", "0", restart, &Config::tls_port, whole(0, 65535, "a port number"),
            "also serve TLS on this port (a listener named tls, with the tls_* keys); the main port stays "
            "plaintext; 0 = no such listener"),
        per_listener(key("udp", "off", restart, &Config::udp, one_of(on_off_names()),
                         "on: also echo UDP datagrams on the same listen address and port (RFC 862 section 2)")),
        per_listener(key("udp_rate_per_source", "1000", restart, &Config::udp_rate_per_source,
                         whole(0, 10000000, "a whole number"),
                         "UDP replies per second to one source address (burst: one second's worth); 0 = no limit")),
        per_listener(key("udp_rate_ipv6_prefix", "64", restart, &Config::udp_rate_ipv6_prefix,
                         whole(1, 128, "a prefix length"),
                         "udp_rate_per_source counts IPv6 sources per prefix of this many bits (one /64 = one "
                         "source); 128 = per address")),
        per_listener(key("mode", "echo", live, &Config::mode, one_of(mode_names()),
                         "what comes back: the bytes unchanged, ASCII letters upper-cased, or `prefix` before each line")),
        per_listener(key("prefix", "", live, &Config::prefix, reply_text(),
                         "with mode = prefix: text before each line; ${ENV_VAR}, %p (client), %l (local address); TLS: %n (SNI), %v (version), %c (client certificate)")),
        per_listener(key("greeting", "", live, &Config::greeting, reply_text(),
                         "a line sent on connect, e.g. 'echomux ${HOSTNAME} %p'; empty = none")),
        per_listener(key("proxy_protocol", "off", live, &Config::proxy_protocol, one_of(proxy_protocol_names()),
                         "a PROXY protocol v1/v2 header names the client: not read, used when present, or required")),
        // No 0 ("never"): a stranger could then hold a connection open without a header.
        per_listener(key("proxy_header_timeout", "5", live, &Config::proxy_header_timeout, positive_seconds(3600),
                         "seconds for the PROXY header to arrive; then closed (required) or served as is")),
        per_listener(key("tls_cert", "", live, &Config::tls_cert, file_path(),
                         "TLS on the listener: the certificate (PEM; a chain file works); empty = plaintext. A "
                         "reload loads it again: new handshakes use the new pair, open connections keep theirs")),
        per_listener(key("tls_key", "", live, &Config::tls_key, file_path(),
                         "the private key (PEM); empty = in tls_cert's file")),
        per_listener(key("tls_min_version", "1.2", live, &Config::tls_min_version, one_of(tls_version_names()),
                         "the oldest TLS version served")),
        per_listener(key("tls_handshake_timeout", "5", live, &Config::tls_handshake_timeout, positive_seconds(3600),
                         "seconds for a client to finish its TLS handshake; then closed")),
        per_listener(key("tls_alpn", "", live, &Config::tls_alpn, alpn_list(),
                         "ALPN protocols to agree on, in preference order (h2,http/1.1); a client offering none "
                         "of them is refused; empty = no ALPN")),
        per_listener(key("tls_client_auth", "off", live, &Config::tls_client_auth, one_of(tls_client_auth_names()),
                         "client certificates: not asked for, verified against tls_client_ca when sent, or required")),
        per_listener(key("tls_client_ca", "", live, &Config::tls_client_ca, file_path(),
                         "the CAs (PEM) client certificates are verified against")),
        per_listener(key("close_after_bytes", "0", live, &Config::close_after_bytes, bytes(0, 1ull << 50),
                         "fault: after this many bytes sent to a client (greeting included), close it (FIN); 0 = off")),
        per_listener(key("reset_after_bytes", "0", live, &Config::reset_after_bytes, bytes(0, 1ull << 50),
                         "fault: after this many bytes sent, reset the connection (RST: ECONNRESET); 0 = off")),
        per_listener(key("stall_after_bytes", "0", live, &Config::stall_after_bytes, bytes(0, 1ull << 50),
                         "fault: after this many bytes sent, read and write nothing more, but keep it open; 0 = off")),
        per_listener(key("close_after", "0", live, &Config::close_after, seconds(86400 * 365),
                         "fault: close a connection (FIN) this long after it was accepted; 0 = off")),
        per_listener(key("reset_after", "0", live, &Config::reset_after, seconds(86400 * 365),
                         "fault: reset a connection (RST) this long after it was accepted; 0 = off")),
        per_listener(key("fault_probability", "1", live, &Config::fault_probability, probability(),
                         "the share of connections the close, reset and stall faults apply to, drawn at accept "
                         "(0.1: one in ten)")),
        per_listener(key("delay", "0", live, &Config::delay, seconds(3600),
                         "fault: every echoed byte comes back no sooner than this after it arrived (reading "
                         "pauses while delayed bytes fill max_buffer_bytes); 0 = off")),
        per_listener(key("delay_jitter", "0", live, &Config::delay_jitter, seconds(3600),
                         "fault: each delay varies by up to this much either way, uniformly; bytes keep their order")),
        per_listener(key("bandwidth", "0", live, &Config::bandwidth, bytes(0, 1ull << 40),
                         "fault: the echo to each connection is paced to this many bytes per second (64KiB, "
                         "1MiB); 0 = unpaced")),
        per_listener(key("accept_delay", "0", live, &Config::accept_delay, seconds(3600),
                         "fault: after accepting a connection, send and read nothing, not even the greeting, for "
                         "this long; 0 = off")),
        key("backend", "asio", restart, &Config::backend, backend_choice(),
            "event loop; auto = io_uring where the kernel allows it, else epoll"),
        key("epoll_mode", "level", restart, &Config::epoll_mode, one_of(epoll_mode_names()),
            "with backend = epoll: level- or edge-triggered (backend = epoll-edge sets it too)"),
        key("threads", "1", restart, &Config::threads, whole(1, 256, "a whole number"),
            "event loops per listener, each with its own socket on the port (SO_REUSEPORT)"),
        key("max_connections", "10000", live, &Config::max_connections, whole(1, 10000000, "a whole number"),
            "open connections (all listeners and threads); more are closed at once"),
        per_listener(key("max_buffer_bytes", "256KiB", live, &Config::max_buffer_bytes, bytes(1, 1ull << 30),
                         "bytes held per connection before reading pauses")),
        key("read_chunk_bytes", "64KiB", restart, &Config::read_chunk_bytes, bytes(1, 64ull << 20),
            "largest single read from a socket"),
        per_listener(key("backlog", "4096", restart, &Config::backlog, whole(1, 1000000, "a whole number"),
                         "listen(2) backlog (the kernel caps it at net.core.somaxconn)")),
        per_listener(key("idle_timeout", "300", live, &Config::idle_timeout, seconds(86400 * 365),
                         "close a connection idle this long; 0 = never")),
        key("drain_timeout", "10", live, &Config::drain_timeout, seconds(86400),
            "after SIGTERM/SIGINT, how long open connections may finish"),
        key("shutdown_delay", "0", live, &Config::shutdown_delay, seconds(3600),
            "after SIGTERM/SIGINT, keep accepting this long while /healthz says 503, then drain; 0 = drain at once"),
        key("liveness_timeout", "5", restart, &Config::liveness_timeout, seconds(3600),
            "an event loop busy this long without waiting again is wedged: /livez and /healthz say 503 and "
            "the systemd watchdog is not fed; 0 = never"),
        per_listener(key("access_log", "off", live, &Config::access_log, one_of(on_off_names()),
                         "on: one line per connection as it ends (listener, addresses, bytes, duration, why it ended)")),
        key("log_level", "info", live, &Config::log_level, one_of(log::level_names()), "how much to log"),
        key("log_format", "text", live, &Config::log_format, one_of(log::format_names()),
            "time level: message, logfmt, or one JSON object per line"),
        // Its default follows listen (config.cpp): "same as listen" is never parsed.
        key("metrics_listen", "same as listen", restart, &Config::metrics_listen, address(),
            "address of the HTTP /metrics and /healthz endpoint"),
        key("metrics_port", "0", restart, &Config::metrics_port, whole(0, 65535, "a port number"),
            "port of the HTTP /metrics and /healthz endpoint; 0 = off"),
        key("metrics_max_connections", "16", restart, &Config::metrics_max_connections, whole(1, 10000, "a whole number"),
            "open connections to the metrics endpoint; at the cap the longest idle gives way"),
    };
    return table;
}

const Key* find_key(const std::string& name) {
    for (const auto& k : keys())
        if (name == k.name) return &k;
    return nullptr;
}

std::string flag_name(const std::string& key) {
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

std::string env_name(const std::string& key) {
    std::string name = "ECHOMUX_";
    for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

}  // namespace echomux
