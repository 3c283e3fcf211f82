// SPDX-License-Identifier: BSL-1.0
// The part of the echo service that belongs to one event loop but to no backend:
// accepting under max_connections and fd exhaustion, the idle timeout, draining on
// shutdown, every timer (one next_deadline() that the loop waits on, on an injected clock),
// the shared read buffer and the counters. Backends implement LoopHooks; connections are
// seen only through Expiring, what the service's deadlines end.
#pragma once

#include "echomux/core/clock.hpp"
#include "echomux/core/config.hpp"
#include "echomux/core/fault_plan.hpp"
#include "echomux/core/shared_state.hpp"
#include "echomux/core/reply_text.hpp"
#include "echomux/core/stats.hpp"
#include "echomux/core/transport.hpp"

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace echomux {

class TlsContext;

class LoopHooks {
public:
    virtual ~LoopHooks() = default;
    virtual void adopt(int fd) = 0;                 // take an accepted, admitted socket into service
    virtual void watch_listener(bool watch) = 0;    // pause or resume accepting
    virtual void close_listener() = 0;              // draining: accept no more
    virtual int listener_fd() = 0;                  // -1 once closed
    // next_deadline() may have moved earlier, or gone: a loop that sleeps on a timer
    // re-arms it. Loops that ask next_deadline() before every wait need nothing.
    virtual void deadline_changed() {}
};

// Why the service ends (or moves on) a connection: its deadlines.
enum class Expiry {
    idle,    // idle_timeout: nothing received or sent for that long
    drain,   // drain_timeout: the drain is over
    header,     // proxy_header_timeout: no whole PROXY header yet
    handshake,  // tls_handshake_timeout: no finished TLS handshake yet
    timer,      // what the connection asked for with set_timer(): a fault is due
};

// What the service's deadlines act on (a Connection). expire() may end it (idle, drain: it
// must leave the service's lists, as detach() does) or move it on (header).
class Expiring {
public:
    virtual void expire(Expiry why) = 0;

protected:
    ~Expiring() = default;
};

class Service {
    struct Activity {
        Expiring* connection;
        long long last_active_ms;
    };
    struct Waiting {
        Expiring* connection;
        long long since_ms;  // the deadline is since_ms + the timeout in force (a reload moves it)
    };
    // Connections waiting for one thing (a PROXY header, a TLS handshake), in arrival order:
    // one timeout for all, so the front is always due first.
    struct WaitList {
        std::list<Waiting> waiting;
        long long timeout_ms = 0;
    };
    class ParkedSocket;  // accept_delay: admitted, not served yet

public:
    // A connection's place in the least-recently-active order. The connection holds it and
    // hands it back; only the service looks inside.
    using Slot = std::list<Activity>::iterator;
    // A connection's place in a WaitList, before and after a reload changes its timeout.
    using WaitSlot = std::list<Waiting>::iterator;
    using HeaderSlot = WaitSlot;
    // The one timer list of the faults (delay, bandwidth, lifetimes, accept_delay), ordered by
    // time: an entry per connection at most, which its owner moves or cancels, so a thousand
    // delayed connections cost a thousand entries and no work until the first is due.
    struct Timer {
        Expiring* owner = nullptr;
        bool armed = false;
        std::multimap<long long, Timer*>::iterator at;
    };

    Service(SharedState& shared, LoopHooks& hooks, const Clock& clock = monotonic_clock());
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // This loop's settings: as started, then as the last reload left them (reconfigure).
    const Config& config() const { return config_; }
    const ReplyText& greeting() const { return greeting_; }
    const ReplyText& prefix() const { return prefix_; }
    // A reload (SIGHUP): `next` holds the settings that change while serving (those that
    // need a restart are as before). New connections get them; open ones keep theirs,
    // except that the idle timeout and the limits apply to all from now on.
    void reconfigure(const Config& next);
    Stats& stats() { return stats_; }
    const Stats& stats() const { return stats_; }

    // Called when the listener is readable. Returns true when more connections may be
    // waiting than this call took (a fairness budget), so edge-triggered loops call again.
    bool on_accept(int listen_fd);
    // The same for a loop that accepts by itself (io_uring's multishot accept): `fd` is a
    // new non-blocking socket to serve or reject (max_connections), `error` an accept
    // failure (EMFILE & co pause accepting, as on_accept does; transient ones are ignored).
    void admit(int fd);
    void accept_failed(int error);
    // A multishot accept takes everything in the backlog at once, a descriptor each, before
    // admit() can close what is over max_connections: true while every loop's full accept
    // queue still fits in the descriptor budget. Otherwise accept one at a time, so a burst
    // cannot eat the reserve that /metrics and the logs count on.
    bool may_accept_in_bulk() const;

    // What connections report: they started, did some work, ended.
    Slot attach(Expiring& c);
    void touch(Slot slot);
    void detach(Slot slot);
    HeaderSlot await_header(Expiring& c) { return await(header_, c); }
    void header_done(HeaderSlot slot) { header_.waiting.erase(slot); }
    WaitSlot await_handshake(Expiring& c) { return await(handshake_, c); }
    void handshake_done(WaitSlot slot) { handshake_.waiting.erase(slot); }
    // Calls owner.expire(Expiry::timer) at `at_ms` (now_ms() time), once; a timer set again
    // moves. The owner cancels it before it goes away.
    void set_timer(Timer& timer, Expiring& owner, long long at_ms);
    void cancel_timer(Timer& timer);
    // The TLS settings new handshakes use (null without TLS): kept by each connection that
    // started with them, replaced by a reload that loads.
    const std::shared_ptr<const TlsContext>& tls() const { return tls_; }
    // Plaintext a TLS session decrypts into, one record at most; a loop runs one callback at a time.
    char* tls_scratch() { return tls_scratch_.data(); }
    std::size_t tls_scratch_size() const { return tls_scratch_.size(); }
    // The fault a new connection gets (fault_plan.hpp): none, or the listener's, for
    // fault_probability of them (a draw per connection, from this loop's generator).
    FaultPlan plan_fault();
    std::mt19937_64& random() { return random_; }  // the faults' draws: delay_jitter too
    // A connection closed for its PROXY header: counted under `reason`, logged at most
    // once a second.
    void proxy_error(Counter Stats::*reason, const std::string& client, const std::string& detail);

    // With access_log on: the line for a connection that ended ("eof", "idle", "drain",
    // "reset", "rejected"), written here for connections and rejections alike.
    void log_access(const Endpoints& who, std::uint64_t received, std::uint64_t sent, long long duration_ms,
                    const char* end, const char* fault = "") const;

    // The one clock of every timer: when tick() next has work (idle timeout, drain
    // deadline, resuming a paused accept), in now_ms() time; nullopt when nothing is due.
    std::optional<long long> next_deadline() const;
    // Milliseconds to wait from now until next_deadline(), -1 for no limit: a poll timeout.
    int wait_ms() const;
    void tick();  // does what is due; cheap when nothing is

    void begin_drain();
    bool draining() const { return draining_; }
    bool finished() const { return draining_ && connections_.empty() && parked_.empty(); }
    bool has_connections() const { return !connections_.empty(); }

    // Scratch space for reads; a loop runs one callback at a time, so one is enough.
    char* scratch() { return scratch_.data(); }
    std::size_t read_size() const { return scratch_.size(); }

    long long now_ms() const { return clock_.now_ms(); }
    long long now_us() const { return clock_.now_us(); }
    // The loop's clock, as libuv's uv_now() and Redis's cached mstime: activity stamps take
    // it and cost no clock read each. Every loop calls update_time() when it wakes; tick(),
    // which loops run between callbacks (LoopTurn), and attach() refresh it as well.
    void update_time() { loop_time_ms_ = now_ms(); }
    long long loop_time_ms() const { return loop_time_ms_; }

private:
    WaitSlot await(WaitList& list, Expiring& c);
    void expire_waiting(WaitList& list, Expiry why, long long now);
    void reject(int fd);
    void serve(int fd);  // an admitted socket into a connection (hooks_.adopt)
    void serve_parked(std::list<ParkedSocket>::iterator parked);
    void release_slot();  // a connection's max_connections slot, taken in admit()
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
    const Clock& clock_;
    Config config_;
    ReplyText greeting_, prefix_;  // environment filled in when the settings are read
    Stats stats_;
    std::vector<char> scratch_;
    long long idle_ms_;                    // 0 = no idle timeout
    long long loop_time_ms_;               // update_time()
    std::list<Activity> connections_;      // least recently active first
    WaitList header_, handshake_;
    std::multimap<long long, Timer*> timers_;
    std::list<ParkedSocket> parked_;
    std::shared_ptr<const TlsContext> tls_;
    std::vector<char> tls_scratch_;
    bool draining_ = false;
    long long drain_deadline_ms_ = 0;
    long long accept_resume_ms_ = 0;  // non-zero while accepting is paused
    bool reserved_ = false;  // on_accept holds a max_connections slot not yet taken by a Connection
    RateLimit rejected_, exhaustion_, proxy_errors_;
    std::mt19937_64 random_;  // fault_probability's draws
};

}  // namespace echomux
