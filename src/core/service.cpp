// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/service.hpp"

#include "echomux/core/tls_context.hpp"
#include "echomux/util/log.hpp"
#include "echomux/util/socket_address.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <new>

namespace echomux {
namespace {
constexpr int kAcceptsPerTurn = 64;
constexpr long long kAcceptPauseMs = 100;  // after EMFILE & co: retry, don't spin
constexpr long long kLimitLogEveryMs = 1000;


long long seconds_to_ms(double s) { return static_cast<long long>(s * 1000 + 0.5); }

void tune_socket(int fd) {
    const int on = 1;
    // Echo replies are written as soon as they are read: don't let Nagle hold them back.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // Urgent (MSG_OOB) bytes stay in the stream, so they are echoed like any other byte.
    ::setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
}
}  // namespace

Service::Service(SharedState& shared, LoopHooks& hooks, const Clock& clock)
    : shared_(shared),
      hooks_(hooks),
      clock_(clock),
      config_(shared.config),
      greeting_(config_.greeting),
      prefix_(config_.prefix),
      scratch_(std::min(config_.read_chunk_bytes, config_.max_buffer_bytes)),
      idle_ms_(seconds_to_ms(config_.idle_timeout)),
      loop_time_ms_(clock.now_ms()),
      tls_(shared.tls()),
      random_(std::random_device{}()) {
    if (tls_) tls_scratch_.resize(kTlsRecordBytes);
    header_.timeout_ms = seconds_to_ms(config_.proxy_header_timeout);
    handshake_.timeout_ms = seconds_to_ms(config_.tls_handshake_timeout);
}

void Service::reconfigure(const Config& next) {
    config_ = next;
    greeting_ = ReplyText(config_.greeting);
    prefix_ = ReplyText(config_.prefix);
    idle_ms_ = seconds_to_ms(config_.idle_timeout);
    header_.timeout_ms = seconds_to_ms(config_.proxy_header_timeout);  // for those waiting now, too
    handshake_.timeout_ms = seconds_to_ms(config_.tls_handshake_timeout);
    tls_ = shared_.tls();  // open connections keep theirs
    if (tls_ && tls_scratch_.empty()) tls_scratch_.resize(kTlsRecordBytes);
    // Between callbacks: no read is using it. Open connections keep their max_buffer_bytes,
    // and a read is never larger than the connection's room.
    scratch_.resize(std::min(config_.read_chunk_bytes, config_.max_buffer_bytes));
    scratch_.shrink_to_fit();
    hooks_.deadline_changed();  // a shorter timeout may be due sooner
}

// accept_delay: an admitted socket that waits in the timer list before it is served; the
// kernel holds what the client sends meanwhile.
class Service::ParkedSocket final : public Expiring {
public:
    ParkedSocket(Service& service, int fd) : service_(service), fd_(fd) {}
    void expire(Expiry) override { service_.serve_parked(self); }
    int fd() const { return fd_; }
    Timer timer;
    std::list<ParkedSocket>::iterator self;

private:
    Service& service_;
    int fd_;
};

Service::~Service() {
    for (ParkedSocket& parked : parked_) {
        cancel_timer(parked.timer);
        ::close(parked.fd());
        release_slot();
    }
}

void Service::set_timer(Timer& timer, Expiring& owner, long long at_ms) {
    if (timer.armed && timer.at->first == at_ms) return;
    cancel_timer(timer);
    const bool sooner = timers_.empty() || at_ms < timers_.begin()->first;
    timer.owner = &owner;
    timer.at = timers_.emplace(at_ms, &timer);
    timer.armed = true;
    if (sooner) hooks_.deadline_changed();
}

void Service::cancel_timer(Timer& timer) {
    if (!timer.armed) return;
    timers_.erase(timer.at);
    timer.armed = false;
}

Service::Slot Service::attach(Expiring& c) {
    reserved_ = false;  // the connection now owns the slot reserved in on_accept
    const bool first = connections_.empty();
    update_time();  // the loop may have slept for hours: no stale stamp for a newcomer
    const Slot slot = connections_.insert(connections_.end(), Activity{&c, loop_time_ms_});
    if (first && idle_ms_ > 0) hooks_.deadline_changed();
    return slot;
}

void Service::detach(Slot slot) {
    connections_.erase(slot);
    release_slot();
    if (connections_.empty()) hooks_.deadline_changed();  // no idle deadline left; a drain is done
}

Service::WaitSlot Service::await(WaitList& list, Expiring& c) {
    const bool first = list.waiting.empty();
    const WaitSlot slot = list.waiting.insert(list.waiting.end(), {&c, loop_time_ms_});
    if (first) hooks_.deadline_changed();
    return slot;
}

void Service::expire_waiting(WaitList& list, Expiry why, long long now) {
    while (!list.waiting.empty() && now - list.waiting.front().since_ms >= list.timeout_ms)
        list.waiting.front().connection->expire(why);  // leaves the list
}

void Service::proxy_error(Counter Stats::*reason, const std::string& client, const std::string& detail) {
    (stats_.*reason).add();
    rate_limited_warn(proxy_errors_, "PROXY header from ", client, ": ", detail, "; connection closed");
}

FaultPlan Service::plan_fault() {
    const bool chosen =
        has_chosen_faults(config_) && std::bernoulli_distribution(config_.fault_probability)(random_);
    return fault_plan(config_, chosen);
}

void Service::touch(Slot slot) {
    if (idle_ms_ == 0) return;
    slot->last_active_ms = loop_time_ms_;
    connections_.splice(connections_.end(), connections_, slot);
}

bool Service::on_accept(int listen_fd) {
    for (int i = 0; i < kAcceptsPerTurn; ++i) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(fd);
            continue;
        }
        const int error = errno;
        if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
        accept_failed(error);
        return false;
    }
    return true;
}

void Service::accept_failed(int error) {
    if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == EAGAIN || error == EWOULDBLOCK) return;
    // EMFILE, ENFILE, ENOBUFS, ENOMEM, or worse: the connection stays in the backlog; stop
    // watching the listener for a while instead of spinning on it.
    stats_.fd_exhaustion.add();
    rate_limited_warn(exhaustion_, "accept failed: ", std::strerror(error), "; pausing accept for ", kAcceptPauseMs,
                      " ms");
    accept_resume_ms_ = now_ms() + kAcceptPauseMs;
    hooks_.watch_listener(false);
    hooks_.deadline_changed();
}

bool Service::may_accept_in_bulk() const {
    const std::size_t active = shared_.process.active.load(std::memory_order_relaxed);
    const std::size_t budget = shared_.process.descriptor_budget;
    // An accept queue holds backlog + 1 (the kernel caps the backlog at somaxconn).
    const std::size_t queued = std::size_t{config_.threads} * (static_cast<std::size_t>(config_.backlog) + 1);
    return active < budget && budget - active > queued;
}

void Service::admit(int fd) {
    const std::size_t limit = config_.max_connections;
    if (shared_.process.active.fetch_add(1, std::memory_order_relaxed) >= limit) {
        shared_.process.active.fetch_sub(1, std::memory_order_relaxed);
        reject(fd);
        rate_limited_warn(rejected_, "max_connections (", limit, ") reached: closing new connections");
        return;
    }
    shared_.active.fetch_add(1, std::memory_order_relaxed);
    tune_socket(fd);
    stats_.accepted.add();
    const long long accept_delay_ms = seconds_to_ms(config_.accept_delay);
    if (accept_delay_ms > 0 && !draining_) {
        try {
            const auto parked = parked_.emplace(parked_.end(), *this, fd);
            parked->self = parked;
            set_timer(parked->timer, *parked, now_ms() + 1 + accept_delay_ms);  // + 1: never a fraction early
            return;
        } catch (const std::bad_alloc&) {
            // served at once: a fault never costs a client its connection
        }
    }
    serve(fd);
}

void Service::serve_parked(std::list<ParkedSocket>::iterator parked) {
    cancel_timer(parked->timer);
    const int fd = parked->fd();
    parked_.erase(parked);
    serve(fd);
}

void Service::serve(int fd) {
    reserved_ = true;
    try {
        hooks_.adopt(fd);
    } catch (const std::exception& e) {
        log::error("cannot serve a new connection: ", e.what());
    }
    if (reserved_) {  // adopt failed before a Connection took the slot
        reserved_ = false;
        release_slot();
    }
}

// Release, so that whoever sees a slot free (max_connections, /metrics) also sees the
// connection's counters.
void Service::release_slot() {
    shared_.active.fetch_sub(1, std::memory_order_release);
    shared_.process.active.fetch_sub(1, std::memory_order_release);
}

// Over max_connections: the client should see an orderly end (EOF), not a reset. Closing
// a socket with unread bytes makes the kernel send RST instead of FIN, so read what
// already arrived (bounded: one scratch buffer) and send our FIN before closing. Bytes
// that arrive later meet a reset, but after the FIN, so the client has its EOF first.
void Service::reject(int fd) {
    stats_.rejected.add();
    const ssize_t discarded = ::recv(fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
    if (config_.access_log)
        log_access(Endpoints{peer_address(fd), local_address(fd), {}, {}, {}, {}}, discarded > 0 ? static_cast<std::uint64_t>(discarded) : 0, 0,
                   0, "rejected");
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
}

void Service::log_access(const Endpoints& who, std::uint64_t received, std::uint64_t sent, long long duration_ms,
                         const char* end, const char* fault) const {
    log::Fields fields{{"listener", config_.name}, {"client", who.peer}, {"local", who.local}};
    if (!who.tls_version.empty())  // what the handshake said: printable already (TlsConnection)
        fields.insert(fields.end(), {{"tls", who.tls_version}, {"sni", who.sni}, {"alpn", who.alpn},
                                     {"client_cert", who.client_subject}});
    fields.insert(fields.end(),
                  {{"received", received}, {"sent", sent}, {"duration_ms", duration_ms}, {"end", end}});
    if (*fault) fields.emplace_back("fault", fault);
    log::info_fields("access", fields);
}

template <class... Parts>
void Service::rate_limited_warn(RateLimit& limit, const Parts&... parts) {
    ++limit.unlogged;
    const long long now = now_ms();
    if (limit.last_ms != 0 && now - limit.last_ms < kLimitLogEveryMs) return;
    log::warn(parts..., " (", limit.unlogged, " time(s) since last report)");
    limit.last_ms = now;
    limit.unlogged = 0;
}

std::optional<long long> Service::next_deadline() const {
    std::optional<long long> next;
    auto consider = [&next](long long at) {
        if (!next || at < *next) next = at;
    };
    if (idle_ms_ > 0 && !connections_.empty()) consider(connections_.front().last_active_ms + idle_ms_);
    for (const WaitList* list : {&header_, &handshake_})
        if (!list->waiting.empty()) consider(list->waiting.front().since_ms + list->timeout_ms);
    if (draining_ && !connections_.empty()) consider(drain_deadline_ms_);
    if (accept_resume_ms_ != 0) consider(accept_resume_ms_);
    if (!timers_.empty()) consider(timers_.begin()->first);
    return next;
}

int Service::wait_ms() const {
    const auto deadline = next_deadline();
    if (!deadline) return -1;
    const long long ms = *deadline - now_ms();
    return static_cast<int>(std::clamp(ms, 0LL, static_cast<long long>(INT_MAX)));
}

void Service::tick() {
    update_time();
    const long long now = loop_time_ms_;
    if (idle_ms_ > 0) {
        while (!connections_.empty() && now - connections_.front().last_active_ms >= idle_ms_) {
            connections_.front().connection->expire(Expiry::idle);  // leaves the list
        }
    }
    expire_waiting(header_, Expiry::header, now);
    expire_waiting(handshake_, Expiry::handshake, now);
    while (!timers_.empty() && timers_.begin()->first <= now) {
        Timer& due = *timers_.begin()->second;
        timers_.erase(timers_.begin());
        due.armed = false;
        due.owner->expire(Expiry::timer);  // may set it again
    }
    if (draining_ && now >= drain_deadline_ms_ && !connections_.empty()) {
        log::warn("drain_timeout reached: closing ", connections_.size(), " open connection(s)");
        close_all();
    }
    if (accept_resume_ms_ != 0 && now >= accept_resume_ms_) {
        accept_resume_ms_ = 0;
        if (!draining_) hooks_.watch_listener(true);
    }
}

void Service::begin_drain() {
    if (draining_) return;
    draining_ = true;
    drain_deadline_ms_ = now_ms() + seconds_to_ms(config_.drain_timeout);
    accept_resume_ms_ = 0;
    // Clients whose connect() already succeeded wait in the backlog: closing the listener
    // would reset them, so they join the drain instead (as far as descriptors allow).
    const int listener = hooks_.listener_fd();
    if (listener >= 0)
        while (on_accept(listener)) {
        }
    hooks_.close_listener();
    // Sockets still waiting out accept_delay are clients too: served now, they join the drain.
    while (!parked_.empty()) serve_parked(parked_.begin());
    hooks_.deadline_changed();
}

void Service::close_all() {
    while (!connections_.empty()) connections_.front().connection->expire(Expiry::drain);
}

}  // namespace echomux
