// SPDX-License-Identifier: BSL-1.0
// The load generator: one epoll loop driving many echo connections, verifying every
// byte that comes back. Ping-pong is a stream whose window is one message; a stream keeps
// up to `window` bytes in flight. No allocation per message.
#pragma once

#include "histogram.hpp"

#include "echomux/core/echo_protocol.hpp"
#include "tools/tls_options.hpp"

#include <optional>
#include <string>
#include <vector>

namespace echomux::bench {

struct Workload {
    enum class Kind { pingpong, stream, udp };  // udp: ping-pong of datagrams (udp_load.cpp)
    Kind kind = Kind::pingpong;
    std::string host = "127.0.0.1";
    int port = 7007;
    int connections = 50;            // udp: sockets
    std::size_t size = 64;           // bytes per message (ping-pong) or per chunk (stream)
    std::size_t window = 256 << 10;  // stream: bytes in flight per connection
    int idle = 0;                    // connections opened and held, with no traffic
    double warmup = 0.5;             // seconds, not measured
    double duration = 2;             // seconds, measured
    Mode mode = Mode::echo;          // what the server is expected to send back
    int server_pid = 0;              // 0: server CPU unknown
    bool progress = false;           // progress line on stderr
    double timeout = 1;              // udp: seconds after which a datagram with no reply is lost
    // bench v2 (issue 13). Filled by the engine (load.cpp), shown by report.cpp / compare.cpp.
    std::vector<std::size_t> sizes;  // mixed sizes: each message's size drawn from these (empty: `size`)
    double rate = 0;                 // > 0: open loop, total requests/s over all connections (wrk2-style,
                                     // latency from the intended send time)
    int threads = 1;                 // load loops, each on its own core; connections spread over them
    double connect_rate = 0;         // > 0: churn workload, new connections/s, one request each
    double interval = 0;             // > 0: per-interval lines every `interval` seconds
    double drain_timeout = 2;        // seconds for every connection to get back all it sent, after the window
    std::string metrics_url;         // server CPU from a remote server's /metrics (process_cpu_seconds_total)
    // bench-engine additions (after the agreed model).
    double stall_timeout = 2;        // no reply for this long with requests outstanding: the server stopped answering
    std::vector<int> cpus;           // load loop i runs on cpus[i % size]; empty: wherever the OS puts it
    // bench v3 (issue 24): every echomux.
    std::optional<int> greeting_lines = 0;  // lines the server sends on connect; nullopt: auto (probe)
    std::string prefix;                     // mode prefix: the text before each line (udp: each datagram)
    std::vector<double> percentiles = {50, 90, 95, 99, 99.9};  // shown (and in the JSON), besides max
    // TLS (issue 22).
    tools::TlsOptions tls;           // --tls: every connection a TLS client's, every handshake a full one
    bool handshake = false;          // --workload handshake: churn in a closed loop, `connections` at once
};

const char* kind_name(Workload::Kind kind);

// One --interval line: what happened in [start, start + seconds) of the measured window.
struct Interval {
    double start = 0, seconds = 0;
    std::uint64_t requests = 0, bytes = 0, errors = 0;
    std::uint64_t p99_ns = 0;  // 0: no request completed in the interval
    Histogram latency;         // the interval's, for --hlog
};

struct Result {
    std::uint64_t requests = 0;  // messages (or stream chunks) echoed back in the window
    std::uint64_t bytes = 0;     // bytes echoed back in the window
    std::uint64_t errors = 0;
    std::vector<std::string> error_messages;  // the first few
    // udp: datagrams sent in the measured window, and what became of them: answered (within
    // the timeout, including while the last ones were awaited after the window), lost, and
    // of the lost, those whose reply came after the timeout.
    std::uint64_t datagrams_sent = 0, datagrams_answered = 0, datagrams_lost = 0, datagrams_late = 0;
    // udp: replies the server dropped by its per-source rate limit while the window's
    // datagrams were out (its /metrics, --metrics-url); -1 when not read.
    double server_rate_limited = -1;
    std::string limited_by;  // what limited the run, when the tool can tell ("udp_rate_per_source")
    double seconds = 0;
    Histogram latency;           // send of a message's first byte (open loop: its intended send) to receipt of its last
    Histogram uncorrected_latency;  // open loop: from the actual send, as wrk2's --u_latency
    double client_cpu_seconds = 0;
    double server_cpu_seconds = -1;  // -1: not measured
    long server_rss_kib = -1;
    // bench v2 (issue 13).
    double asked_seconds = 0;        // --duration: the window the run was asked to measure
    // Why this run is not a valid measurement ("the server stopped answering", "no request
    // completed", "window 0.4 s of 2 s asked"): non-empty means `run` exits 1 and compare
    // reports no number for it.
    std::vector<std::string> invalid;
    // What bounded the figures without invalidating them ("bound by the load generator:
    // client CPU 97%"): shown in the output and the report.
    std::vector<std::string> notes;
    std::uint64_t drain_missing_bytes = 0;  // sent but never echoed back within drain_timeout
    std::vector<Interval> intervals;
    std::uint64_t connects = 0;       // churn: connections opened (and accepted) in the window
    Histogram connect_latency;        // churn: connect() to established
    int threads = 1;
    // bench-engine additions: the whole run (warm-up, window and drain), to check against the
    // server's own counters (echomux_received_bytes_total, echomux_connections_accepted_total).
    std::uint64_t total_requests = 0, total_sent_bytes = 0, total_received_bytes = 0, total_connects = 0;
    std::vector<std::string> greeting;  // the first connection's greeting lines
    std::string tls;                    // what the first connection's handshake agreed; empty: plaintext
    double window_start_time = 0;       // seconds since 1970 when the window began (--hlog)
    bool valid() const { return invalid.empty(); }

    double loss_percent() const {
        return datagrams_sent > 0 ? 100.0 * static_cast<double>(datagrams_lost) / static_cast<double>(datagrams_sent) : 0;
    }
    double requests_per_second() const { return seconds > 0 ? requests / seconds : 0; }
    double megabytes_per_second() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
    double server_us_per_request() const {
        return server_cpu_seconds >= 0 && requests > 0 ? server_cpu_seconds * 1e6 / requests : -1;
    }
};

// Throws std::runtime_error when it cannot connect; data errors are counted in Result.
Result run_load(const Workload& workload);
Result run_udp_load(const Workload& workload);  // kind = udp
Result run_churn_load(const Workload& workload);  // connect_rate > 0 or handshake (churn_load.cpp; run_load calls it)

// The seconds CPU time this process has used so far (user + system).
double own_cpu_seconds();

// Pins the calling process (and children it starts later) to one CPU; -1: no pinning.
void pin_to_cpu(int cpu);

// CPU time (s) used so far by process `pid`, all threads; -1 if unknown.
double process_cpu_seconds(int pid);
long process_rss_kib(int pid);

}  // namespace echomux::bench
