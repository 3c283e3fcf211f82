// SPDX-License-Identifier: BSL-1.0
// The load generator: one epoll loop driving many echo connections, verifying every
// byte that comes back. Ping-pong is a stream whose window is one message; a stream keeps
// up to `window` bytes in flight. No allocation per message.
#pragma once

#include "histogram.hpp"

#include "echomux/echo_protocol.hpp"

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
};

const char* kind_name(Workload::Kind kind);

struct Result {
    std::uint64_t requests = 0;  // messages (or stream chunks) echoed back in the window
    std::uint64_t bytes = 0;     // bytes echoed back in the window
    std::uint64_t errors = 0;
    std::vector<std::string> error_messages;  // the first few
    // udp: datagrams sent in the measured window, and what became of them: answered (within
    // the timeout, including while the last ones were awaited after the window), lost, and
    // of the lost, those whose reply came after the timeout.
    std::uint64_t datagrams_sent = 0, datagrams_answered = 0, datagrams_lost = 0, datagrams_late = 0;
    double seconds = 0;
    Histogram latency;           // send of a message's first byte to receipt of its last
    double client_cpu_seconds = 0;
    double server_cpu_seconds = -1;  // -1: not measured
    long server_rss_kib = -1;

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

// The seconds CPU time this process has used so far (user + system).
double own_cpu_seconds();

// Pins the calling process (and children it starts later) to one CPU; -1: no pinning.
void pin_to_cpu(int cpu);

// CPU time (s) used so far by process `pid`, all threads; -1 if unknown.
double process_cpu_seconds(int pid);
long process_rss_kib(int pid);

}  // namespace echomux::bench
