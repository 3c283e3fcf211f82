// SPDX-License-Identifier: BSL-1.0
// Counters of one event loop. Each loop is the only writer of its own Stats, so a
// relaxed load+store is enough (no locked read-modify-write on the hot path); other
// threads may read them at any time.
#pragma once

#include "echomux/util/log.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace echomux {

class Counter {
public:
    void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// A distribution of one value per connection (how long it lasted, how many bytes it sent):
// a count per bucket, the number of observations and their sum, with the same one-writer
// rule as Counter. Buckets are the upper bounds given, then everything above them.
class Histogram {
public:
    static constexpr std::size_t kMaxBounds = 10;
    Histogram(std::initializer_list<std::uint64_t> bounds);
    void observe(std::uint64_t value);

    std::size_t bounds() const { return bound_count_; }
    std::uint64_t bound(std::size_t i) const { return bounds_[i]; }
    std::uint64_t in_bucket(std::size_t i) const { return buckets_[i].get(); }  // i == bounds(): above all
    std::uint64_t count() const { return count_.get(); }
    std::uint64_t sum() const { return sum_.get(); }

private:
    std::array<std::uint64_t, kMaxBounds> bounds_{};
    std::size_t bound_count_ = 0;
    std::array<Counter, kMaxBounds + 1> buckets_;
    Counter count_, sum_;
};

// The one list of counters: it declares the Stats fields and drives the exit summary and
// /metrics, so a new counter is one line here. X(field, metric name, labels, help): rows of
// one metric that differ by label (reason="...") sit next to each other; the first row has
// the help, the others "".
#define ECHOMUX_COUNTERS(X)                                                                                           \
    X(accepted, "echomux_connections_accepted_total", "", "Connections taken into service.")                          \
    X(rejected, "echomux_connections_rejected_total", "",                                                             \
      "Connections closed at once because max_connections were open.")                                                \
    X(closed_eof, "echomux_connections_closed_total", "reason=\"eof\"",                                               \
      "Connections that ended, by why: eof (the client finished), idle (idle_timeout), drain (drain_timeout "         \
      "ran out), reset (a reset or another socket error), proxy_error (its PROXY header), tls_error (its TLS), "      \
      "fault_close and fault_reset (a fault the listener was set to: close_after_bytes, reset_after_bytes).")        \
    X(closed_idle, "echomux_connections_closed_total", "reason=\"idle\"", "")                                         \
    X(closed_drain, "echomux_connections_closed_total", "reason=\"drain\"", "")                                       \
    X(closed_reset, "echomux_connections_closed_total", "reason=\"reset\"", "")                                       \
    X(closed_proxy_error, "echomux_connections_closed_total", "reason=\"proxy_error\"", "")                           \
    X(closed_tls_error, "echomux_connections_closed_total", "reason=\"tls_error\"", "")                               \
    X(closed_fault_close, "echomux_connections_closed_total", "reason=\"fault_close\"", "")                           \
    X(closed_fault_reset, "echomux_connections_closed_total", "reason=\"fault_reset\"", "")                           \
    X(tls_handshakes_ok, "echomux_tls_handshakes_total", "result=\"ok\"",                                            \
      "TLS handshakes by result: ok, timeout (tls_handshake_timeout), protocol_error (not TLS, a bad or refused "     \
      "hello, no shared version, cipher or ALPN protocol), client_cert_refused (none sent with tls_client_auth = "   \
      "required, or one tls_client_ca does not verify), abandoned (the client left, or the connection was ended "    \
      "meanwhile).")                                                                                                  \
    X(tls_handshakes_timeout, "echomux_tls_handshakes_total", "result=\"timeout\"", "")                              \
    X(tls_handshakes_protocol_error, "echomux_tls_handshakes_total", "result=\"protocol_error\"", "")                \
    X(tls_handshakes_client_cert_refused, "echomux_tls_handshakes_total", "result=\"client_cert_refused\"", "")      \
    X(tls_handshakes_abandoned, "echomux_tls_handshakes_total", "result=\"abandoned\"", "")                          \
    X(tls_connections_v1_2, "echomux_tls_connections_total", "version=\"TLSv1.2\"",                                  \
      "TLS connections by the version their handshake agreed on.")                                                    \
    X(tls_connections_v1_3, "echomux_tls_connections_total", "version=\"TLSv1.3\"", "")                              \
    X(proxy_headers, "echomux_proxy_headers_total", "", "Connections that began with a valid PROXY header.")          \
    X(proxy_malformed, "echomux_proxy_errors_total", "reason=\"malformed\"",                                          \
      "Connections closed for their PROXY header: malformed, oversized, timeout, missing (required), truncated.")     \
    X(proxy_oversized, "echomux_proxy_errors_total", "reason=\"oversized\"", "")                                      \
    X(proxy_timeout, "echomux_proxy_errors_total", "reason=\"timeout\"", "")                                          \
    X(proxy_missing, "echomux_proxy_errors_total", "reason=\"missing\"", "")                                          \
    X(proxy_truncated, "echomux_proxy_errors_total", "reason=\"truncated\"", "")                                      \
    X(bytes_received, "echomux_received_bytes_total", "", "Bytes read from clients.")                                 \
    X(bytes_sent, "echomux_sent_bytes_total", "", "Bytes written back to clients.")                                   \
    X(short_writes, "echomux_short_writes_total", "",                                                                 \
      "Sends that took only part of the bytes; the rest waited for the socket to drain.")                             \
    X(backpressure_pauses, "echomux_backpressure_pauses_total", "",                                                   \
      "Times reading from a client paused because max_buffer_bytes were waiting.")                                    \
    X(fd_exhaustion, "echomux_accept_fd_exhaustion_total", "",                                                        \
      "Times accept failed for lack of descriptors or memory (accepting paused).")                                    \
    X(udp_received, "echomux_udp_received_datagrams_total", "", "UDP datagrams received (udp = on).")                 \
    X(udp_sent, "echomux_udp_sent_datagrams_total", "", "UDP datagrams sent back.")                                   \
    X(udp_bytes_received, "echomux_udp_received_bytes_total", "", "Bytes in UDP datagrams received.")                 \
    X(udp_bytes_sent, "echomux_udp_sent_bytes_total", "", "Bytes in UDP datagrams sent back.")                        \
    X(udp_blocked_port, "echomux_udp_dropped_datagrams_total", "reason=\"blocked_port\"",                             \
      "UDP datagrams not answered: blocked_port (source port 0, 7, 13, 17, 19 or 37: a reflection loop), "            \
      "rate_limit (udp_rate_per_source), send_error (send buffer full or another send failure), too_large "           \
      "(the prefix would take the reply past 65507 bytes), fault (fault_probability on a udp listener), delay_full "   \
      "(replies held for delay past max_buffer_bytes).")                                                          \
    X(udp_rate_limited, "echomux_udp_dropped_datagrams_total", "reason=\"rate_limit\"", "")                           \
    X(udp_send_errors, "echomux_udp_dropped_datagrams_total", "reason=\"send_error\"", "")                            \
    X(udp_too_large, "echomux_udp_dropped_datagrams_total", "reason=\"too_large\"", "")                            \
    X(udp_fault_dropped, "echomux_udp_dropped_datagrams_total", "reason=\"fault\"", "")                             \
    X(udp_delay_full, "echomux_udp_dropped_datagrams_total", "reason=\"delay_full\"", "")                           \
    X(read_buffers_lent, "echomux_read_buffers_lent_total", "",                                                       \
      "Read buffers lent to receiving connections (asio backend); lent minus returned is what they hold now.")       \
    X(read_buffers_returned, "echomux_read_buffers_returned_total", "",                                               \
      "Read buffers given back: the connection went idle, paused, or ended.")

struct Stats {
#define ECHOMUX_COUNTER_FIELD(field, metric, labels, help) Counter field;
    ECHOMUX_COUNTERS(ECHOMUX_COUNTER_FIELD)
#undef ECHOMUX_COUNTER_FIELD
    // Per connection, as it ends: microseconds open (1 ms to 1 h), and bytes received from the client.
    Histogram connection_us{1000, 10000, 100000, 1000000, 10000000, 60000000, 300000000, 3600000000};
    Histogram connection_bytes{64, 1024, 16384, 262144, 4194304, 67108864, 1073741824};
    // Per finished TLS handshake: microseconds from accept to done (the client's round trips too).
    Histogram tls_handshake_us{250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000, 5000000};
};

struct CounterInfo {
    const char* field;   // as in the exit summary: "accepted"
    const char* metric;  // Prometheus name
    const char* labels;  // "" or reason="..."
    const char* help;
    Counter Stats::*member;
};

extern const std::vector<CounterInfo> kCounters;

// One counter summed over the loops.
std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field);

// Sum over loops, as log fields: accepted=3 rejected=0 ..., and with more than one loop,
// accepted_per_loop=1,2 (a string: a list; and udp_received_per_loop=5,4 once any came).
log::Fields summary_fields(const std::vector<const Stats*>& loops);

}  // namespace echomux
