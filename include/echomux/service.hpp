// The part of the echo service that belongs to one event loop but to no backend:
// accepting under max_connections and fd exhaustion, the idle timeout, draining on
// shutdown, the shared read buffer and the counters. Backends implement LoopHooks.
#pragma once

#include "echomux/config.hpp"
#include "echomux/stats.hpp"

#include <atomic>
#include <list>
#include <memory>
#include <vector>

namespace echomux {

class Connection;

// State shared by all loops of one server.
struct SharedState {
    explicit SharedState(const Config& c) : config(c) {}
    const Config config;
    std::atomic<std::size_t> active{0};  // open connections, all loops: max_connections
};

class LoopHooks {
public:
    virtual ~LoopHooks() = default;
    virtual void adopt(int fd) = 0;                 // take an accepted, admitted socket into service
    virtual void watch_listener(bool watch) = 0;    // pause or resume accepting
    virtual void close_listener() = 0;              // draining: accept no more
};

class Service {
public:
    Service(SharedState& shared, LoopHooks& hooks);
    ~Service();

    const Config& config() const { return shared_.config; }
    Stats& stats() { return stats_; }
    const Stats& stats() const { return stats_; }

    // Called when the listener is readable. Returns true when more connections may be
    // waiting than this call took (a fairness budget), so edge-triggered loops call again.
    bool on_accept(int listen_fd);

    // Periodic work: idle timeout, drain deadline, resuming a paused accept.
    void tick();
    long long tick_interval_ms() const;

    void begin_drain();
    bool draining() const { return draining_; }
    bool finished() const { return draining_ && connections_.empty(); }

    // Scratch space for reads; a loop runs one callback at a time, so one is enough.
    char* scratch() { return scratch_.data(); }
    std::size_t read_size() const { return scratch_.size(); }

    static long long now_ms();  // coarse monotonic clock

private:
    friend class Connection;
    void attach(Connection& c);
    void detach(Connection& c);
    void touch(Connection& c);
    void close_all();

    struct RateLimit {
        long long last_ms = 0;
        std::uint64_t unlogged = 0;
    };
    // "Limits hit" are worth a line, but not one per connection during a flood.
    template <class... Parts>
    void rate_limited_warn(RateLimit& limit, const Parts&... parts);

    SharedState& shared_;
    LoopHooks& hooks_;
    Stats stats_;
    std::vector<char> scratch_;
    std::list<Connection*> connections_;  // least recently active first
    bool draining_ = false;
    long long drain_deadline_ms_ = 0;
    long long accept_resume_ms_ = 0;  // non-zero while accepting is paused
    bool reserved_ = false;  // on_accept holds a max_connections slot not yet taken by a Connection
    RateLimit rejected_, exhaustion_;
};

}  // namespace echomux
