// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/native_loop.hpp"

#include "echomux/util/log.hpp"
#include "echomux/backends/native/native_connection.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace echomux::native {

NativeLoop::NativeLoop(SharedState& shared, Fd listener, Fd udp, std::unique_ptr<Selector> selector)
    : service_(shared, *this),
      selector_(std::move(selector)),
      udp_echo_(service_),
      listener_(std::move(listener)),
      udp_(std::move(udp)) {
    selector_->register_fd(requests_.fd(), EVENT_READ, &wake_callback_);
    watch_listener(true);
    if (udp_) selector_->register_fd(udp_.get(), EVENT_READ, &udp_callback_);
}

NativeLoop::~NativeLoop() = default;

// As Redis's aeProcessEvents: wait for readiness no longer than the nearest deadline.
void NativeLoop::run() {
    while (!service_.finished()) {
        const int timeout = again_.empty() ? service_.wait_ms() : 0;
        const std::vector<Ready>& ready = selector_->select(timeout);
        service_.update_time();
        for (const Ready& one : ready) dispatch(one);
        // Edge-triggered callbacks that stopped early (fairness) or resumed reading.
        again_now_.swap(again_);
        again_.clear();
        for (const Ready& ready : again_now_) dispatch(ready);
        service_.tick();  // a round with no events: the wait ended at a deadline
        closed_.clear();
    }
}

void NativeLoop::dispatch(const Ready& ready) {
    // An earlier callback in this round may have closed this fd: a key that is gone (or
    // now belongs to another handler) is skipped. A stale-but-same key at worst costs one
    // read that would block, which every callback handles.
    const SelectorKey* key = selector_->get_key(ready.key.fd);
    if (key && key->data == ready.key.data) key->data->on_events(ready.events);
    // Under load a round is long (an edge-triggered callback reads up to 1 MiB), so a
    // drain request and what fell due meanwhile are served between callbacks, not after
    // the round. Cheap: an atomic load and the clock read that the next callback's
    // activity stamp uses (Service::update_time()).
    if (requests_.drain_requested()) service_.begin_drain();
    service_.tick();
}

// A second call reads until the socket would block: what it comes back for (a budget that
// ran out, room after backpressure) has no edge of its own.
void NativeLoop::call_again(Handler& handler, int fd) {
    again_.push_back({SelectorKey{fd, EVENT_READ, &handler}, EVENT_READ | EVENT_HANGUP});
}

void NativeLoop::request_drain() { requests_.request_drain(); }

void NativeLoop::request_reconfigure(const Config& next) { requests_.request_reconfigure(next); }

void NativeLoop::on_wake() { requests_.apply(service_); }

void NativeLoop::on_accept() {
    if (service_.on_accept(listener_.get()) && selector_->edge_triggered() && listener_watched_)
        call_again(accept_callback_, listener_.get());
}

void NativeLoop::on_udp() {
    if (udp_echo_.on_read(udp_.get()) && selector_->edge_triggered()) call_again(udp_callback_, udp_.get());
}

void NativeLoop::adopt(int fd) {
    Fd owned(fd);
    if (static_cast<std::size_t>(fd) >= connections_.size()) connections_.resize(fd + 1);
    connections_[fd] = std::make_unique<NativeConnection>(*this, service_, std::move(owned));
    connections_[fd]->start();
}

void NativeLoop::destroy(NativeConnection& connection) { closed_.push_back(std::move(connections_[connection.fd()])); }

void NativeLoop::watch_listener(bool watch) {
    if (watch == listener_watched_ || !listener_) return;
    if (watch) selector_->register_fd(listener_.get(), EVENT_READ, &accept_callback_);
    else selector_->unregister(listener_.get());
    listener_watched_ = watch;
}

// UDP stops with accepting: datagrams are answered whole within one callback, so closing
// between callbacks leaves none half-handled.
void NativeLoop::close_listener() {
    watch_listener(false);
    listener_.reset();
    if (udp_) selector_->unregister(udp_.get());
    udp_.reset();
}

}  // namespace echomux::native
