// SPDX-License-Identifier: BSL-1.0
// One load loop: an epoll loop, on one thread, driving its share of the TCP connections and
// verifying every byte that comes back. run_load (load.cpp) starts one per --threads and
// merges what they counted. Every connection is a byte stream cut into messages; what
// differs between the workloads is only when a new message may start:
//   ping-pong  when the previous one came back (closed loop, latency from the actual send);
//   stream     while fewer than `window` bytes are in flight;
//   rate       at its intended time (open loop: latency from the intended send time, so a
//              server that stalls is charged for every request it held up, as wrk2 does).
// After the window nothing new starts, and every connection must get back all it sent
// within drain_timeout (the drain): what does not come back is counted, not forgotten.
#pragma once

#include "greeter.hpp"
#include "load.hpp"
#include "pattern.hpp"

#include "echomux/util/fd.hpp"

#include <sys/epoll.h>

#include <atomic>
#include <memory>
#include <cstdint>
#include <vector>

namespace echomux::bench {

// The run's timeline, the same for every loop (steady clock, ns).
struct Timeline {
    std::uint64_t start = 0, window_start = 0, window_end = 0, drain_end = 0;
};

// What the loops share while they run.
struct LoopShared {
    LoopShared(const Workload& w, const Pattern& p) : workload(w), pattern(p) {}
    const Workload& workload;
    const Pattern& pattern;
    Timeline timeline;
    std::size_t total_connections = 0;  // over all loops: rate per connection, pattern offsets
    std::atomic<bool> stop{false};      // one loop saw the server stop answering: all end
};

class LoadLoop {
public:
    // `connections`: this loop's (non-blocking, connected), numbered from `first`; the
    // greeting of connection 0 is kept in the result.
    LoadLoop(LoopShared& shared, std::vector<Greeter::Opened> connections, std::size_t first);
    ~LoadLoop();
    LoadLoop(const LoadLoop&) = delete;
    LoadLoop& operator=(const LoadLoop&) = delete;

    void run(int cpu);  // on its own thread; pins it to `cpu` unless -1

    // Intervals [0, closed) are final: the supervisor may read them while the loop runs.
    std::size_t closed_intervals() const { return closed_intervals_.load(std::memory_order_acquire); }
    const Interval& interval(std::size_t i) const { return intervals_[i]; }
    const Histogram& interval_latency(std::size_t i) const { return interval_latency_[i]; }

    // After run().
    const Result& result() const { return result_; }
    double window_cpu_seconds() const { return window_cpu_; }  // this thread's CPU in the window
    std::uint64_t ended_at() const { return ended_at_; }        // when the loop stopped sending (ns)

private:
    struct Connection;
    void on_writable(Connection& c, std::uint64_t now);
    void on_readable(Connection& c);
    void complete(std::uint64_t stamp, std::uint64_t sent_at, std::uint64_t now);
    void count_received(std::size_t bytes, std::uint64_t now);
    void fail(Connection& c, const std::string& why);
    void error(const std::string& why);
    void set_write_interest(Connection& c, bool on);
    bool may_start(const Connection& c, std::uint64_t end, std::size_t pushed, std::uint64_t now) const;
    std::size_t size_of(const Connection& c, std::uint64_t message) const;
    std::uint64_t intended(const Connection& c, std::uint64_t message) const;
    std::uint64_t next_timer(std::uint64_t now) const;
    Interval* interval_at(std::uint64_t now);
    void close_intervals(std::uint64_t now);
    bool check_stall(std::uint64_t now);
    bool all_back() const;  // every connection that did not fail got back all it sent
    void count_missing();

    LoopShared& shared_;
    const Workload& w_;
    Workload::Kind kind_;
    bool open_loop_;               // --rate
    std::size_t window_;           // stream: bytes in flight per connection
    std::size_t ring_capacity_;    // messages in flight per connection
    double per_connection_rate_ = 0;
    std::vector<Connection> connections_;
    std::size_t first_;
    std::vector<char> scratch_;
    Fd epoll_;
    bool draining_ = false;
    std::size_t failed_ = 0;       // connections given up on an error
    std::uint64_t loop_sent_ = 0, loop_received_ = 0, last_reply_ = 0;
    Result result_;
    std::vector<Interval> intervals_;
    std::vector<Histogram> interval_latency_;
    std::atomic<std::size_t> closed_intervals_{0};
    double window_cpu_ = 0;
    std::uint64_t ended_at_ = 0;
};

std::uint64_t now_ns();
// epoll_wait for at most `wait_ns`; the number of events, or -1 (EINTR).
int wait_for_events(int epoll, std::vector<epoll_event>& events, std::uint64_t wait_ns);
double thread_cpu_seconds();  // the calling thread's CPU time (user + system)

}  // namespace echomux::bench
