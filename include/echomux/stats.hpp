// Counters of one event loop. Each loop is the only writer of its own Stats, so a
// relaxed load+store is enough (no locked read-modify-write on the hot path); other
// threads may read them at any time.
#pragma once

#include "echomux/log.hpp"

#include <atomic>
#include <cstdint>
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

// The one list of counters: it declares the Stats fields and drives the exit summary and
// /metrics, so a new counter is one line here. X(field, metric name, labels, help): rows of
// one metric that differ by label (reason="...") sit next to each other and share the help.
#define ECHOMUX_COUNTERS(X)                                                                                           \
    X(accepted, "echomux_connections_accepted_total", "", "Connections taken into service.")                          \
    X(rejected, "echomux_connections_rejected_total", "",                                                             \
      "Connections closed at once because max_connections were open.")                                                \
    X(closed, "echomux_connections_closed_total", "", "Connections that ended, for any reason.")                      \
    X(idle_closed, "echomux_connections_idle_closed_total", "", "Connections closed by idle_timeout.")                \
    X(drain_closed, "echomux_connections_drain_closed_total", "",                                                     \
      "Connections still open when drain_timeout ran out.")                                                           \
    X(resets, "echomux_connections_reset_total", "", "Connections ended by a reset or another socket error.")         \
    X(bytes_received, "echomux_received_bytes_total", "", "Bytes read from clients.")                                 \
    X(bytes_sent, "echomux_sent_bytes_total", "", "Bytes written back to clients.")                                   \
    X(short_writes, "echomux_short_writes_total", "",                                                                 \
      "Sends that took only part of the bytes; the rest waited for the socket to drain.")                             \
    X(backpressure_pauses, "echomux_backpressure_pauses_total", "",                                                   \
      "Times reading from a client paused because max_buffer_bytes were waiting.")                                    \
    X(fd_exhaustion, "echomux_accept_fd_exhaustion_total", "",                                                        \
      "Times accept failed for lack of descriptors or memory (accepting paused).")

struct Stats {
#define ECHOMUX_COUNTER_FIELD(field, metric, labels, help) Counter field;
    ECHOMUX_COUNTERS(ECHOMUX_COUNTER_FIELD)
#undef ECHOMUX_COUNTER_FIELD
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
// accepted_per_loop=1,2 (a string: a list).
log::Fields summary_fields(const std::vector<const Stats*>& loops);

}  // namespace echomux
