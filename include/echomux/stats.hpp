// Counters of one event loop. Each loop is the only writer of its own Stats, so a
// relaxed load+store is enough (no locked read-modify-write on the hot path); other
// threads may read them at any time.
#pragma once

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

struct Stats {
    Counter accepted;             // connections taken into service
    Counter rejected;             // closed at once: max_connections reached
    Counter closed;               // connections finished, for any reason
    Counter idle_closed;          // closed by idle_timeout
    Counter drain_closed;         // still open when drain_timeout ran out
    Counter resets;               // ended by a reset or another socket error
    Counter bytes_received;
    Counter bytes_sent;
    Counter backpressure_pauses;  // reading stopped because max_buffer_bytes were waiting
    Counter fd_exhaustion;        // accept failed for lack of descriptors or memory
};

// One counter summed over the loops.
std::uint64_t total(const std::vector<const Stats*>& loops, Counter Stats::*field);

// Sum over loops, as plain numbers, for logs.
std::string summarize(const std::vector<const Stats*>& loops);

}  // namespace echomux
