// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/native_loop.hpp"

#include "echomux/backends/test_wedge.hpp"
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
      udp_(std::move(udp)),
      turn_(service_, queue_) {
    selector_->register_fd(queue_.fd(), EVENT_READ, &wake_callback_);
    watch_listener(true);
    if (udp_) selector_->register_fd(udp_.get(), EVENT_READ, &udp_callback_);
}

NativeLoop::~NativeLoop() = default;

void NativeLoop::run() {
    while (!service_.finished()) {
        const std::vector<Ready>& ready = selector_->select(turn_.wait_ms());
        turn_.woke();
        for (const Ready& one : ready) {
            dispatch(one);
            turn_.between_callbacks();
        }
        turn_.finish([this](const Ready& again) { dispatch(again); });
    }
}

// An earlier callback in this turn may have closed this fd: a key that is gone (or now
// belongs to another handler) is skipped. A stale-but-same key at worst costs one read that
// would block, which every callback handles.
void NativeLoop::dispatch(const Ready& ready) {
    const SelectorKey* key = selector_->get_key(ready.key.fd);
    if (key && key->data == ready.key.data) return key->data->on_events(ready.events);
    // A connection that watches nothing (a fault timer holds its bytes) is called again all
    // the same: found by its descriptor, as long as it is still the one that asked.
    NativeConnection* connection = connections_.find(ready.key.fd);
    if (connection && static_cast<Handler*>(connection) == ready.key.data) connection->on_events(ready.events);
}

// A second call reads until the socket would block: what it comes back for (a budget that
// ran out, room after backpressure) has no edge of its own.
void NativeLoop::call_again(Handler& handler, int fd) {
    turn_.call_again({SelectorKey{fd, EVENT_READ, &handler}, EVENT_READ | EVENT_HANGUP});
}

void NativeLoop::request_drain() {
    queue_.post([this] { service_.begin_drain(); });
}

void NativeLoop::request_reconfigure(const Config& next, std::function<void()> applied) {
    queue_.post([this, next, applied = std::move(applied)] {
        service_.reconfigure(next);
        applied();
    });
}

void NativeLoop::on_wake() { queue_.run_posted(); }

void NativeLoop::on_accept() {
    if (service_.on_accept(listener_.get()) && selector_->edge_triggered() && listener_watched_)
        call_again(accept_callback_, listener_.get());
}

void NativeLoop::on_udp() {
    if (udp_echo_.on_read(udp_.get()) && selector_->edge_triggered()) call_again(udp_callback_, udp_.get());
}

void NativeLoop::adopt(int fd) {
    wedge_if_testing();
    Fd owned(fd);
    connections_.put(fd, std::make_unique<NativeConnection>(*this, service_, std::move(owned))).start();
}

void NativeLoop::destroy(NativeConnection& connection) { turn_.free_after_turn(connections_.take(connection.fd())); }

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
