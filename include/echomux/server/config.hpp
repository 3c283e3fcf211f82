// SPDX-License-Identifier: BSL-1.0
// Effective configuration: built-in defaults < conf file < ECHOMUX_* environment <
// command line, parsed with Boost.Program_options. Every value is validated here, so the
// rest of the server can trust it.
#pragma once

#include "echomux/core/echo_protocol.hpp"
#include "echomux/util/log.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace echomux {

enum class Backend { asio, epoll, poll, select, io_uring };
enum class EpollMode { level, edge };
// A PROXY protocol header (v1 or v2) before the client's bytes: none, maybe, or always.
enum class ProxyProtocol { off, optional, required };

struct Config {
    std::string listen = "0.0.0.0";
    std::uint16_t port = 7007;
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
    log::Level log_level = log::Level::info;
    log::Format log_format = log::Format::text;
    bool access_log = false;  // a line per connection as it ends
    std::string metrics_listen = "0.0.0.0";
    std::uint16_t metrics_port = 0;  // 0 = no metrics endpoint
    std::size_t metrics_max_connections = 16;  // HTTP sessions; each is a descriptor and a few KiB
};

const char* backend_name(Backend backend);
const char* epoll_mode_name(EpollMode mode);
const char* proxy_protocol_name(ProxyProtocol p);
// "asio", "poll", "select", "epoll-level", "epoll-edge", "io_uring": for logs and metrics.
std::string backend_label(const Config& config);
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
    enum class Action { run, help, version, print_config, healthcheck };
    Action action = Action::run;
    Config config;
    std::string text;  // help, version or print-config output, when action asks for it
    std::vector<std::string> warnings;  // worth a log line, not worth refusing to start
    std::map<std::string, std::string> values;  // each key's effective value, as written
};

// What a reload (SIGHUP) can apply while serving: the settings new connections start with,
// the limits and timeouts, the logs. Anything else (addresses, ports, backend, threads,
// buffers sized at start) needs a restart.
bool reloadable(const std::string& key);
// `running`, with the reloadable settings taken from `next`.
Config with_reloadable(const Config& running, const Config& next);

// Throws ConfigError. `envp` is the environment to read ECHOMUX_* keys from.
LoadedConfig load_config(int argc, const char* const argv[], const char* const* envp);

}  // namespace echomux
