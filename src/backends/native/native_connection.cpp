// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/native_connection.hpp"

#include "echomux/backends/native/native_loop.hpp"

#include <system_error>

namespace echomux::native {

unsigned NativeConnection::selector_events(Interest interest) {
    return (interest.read ? EVENT_READ : 0u) | (interest.write ? EVENT_WRITE : 0u);
}

NativeConnection::NativeConnection(NativeLoop& loop, Service& service, Fd fd)
    : SocketTransport(fd.get()), loop_(loop), fd_(std::move(fd)), session_(make_session(service, *this)) {
    loop_.selector().register_fd(fd_.get(), selector_events(watched_), this);
}

void NativeConnection::start() { follow(session_->start()); }

void NativeConnection::on_events(unsigned events) {
    const bool edge = loop_.selector().edge_triggered();
    Next next = Next::wait;
    // on_write first: it may make room that the read can use at once.
    if (events & EVENT_WRITE) next = session_->writable();
    if (next != Next::close && (events & EVENT_READ)) {
        const Next after_read = on_read(*session_, edge, (events & (EVENT_HANGUP | EVENT_URGENT)) != 0);
        if (after_read != Next::wait || next == Next::wait) next = after_read;
    }
    follow(next);
}

void NativeConnection::follow(Next next) {
    // Level-triggered readiness would report the socket again, but not bytes the connection
    // already holds (they came with a PROXY header): ask for a call either way.
    if (next == Next::again) loop_.call_again(*this, fd());
    if (next != Next::close) next = watch(session_->interest());
    if (next == Next::close) session_->close();
}

// The selector's view follows interest(). If it cannot (epoll_ctl's ENOMEM or ENOSPC),
// this connection ends; the loop and every other connection go on. A connection that wants
// nothing (a stall fault) leaves the selector, as selectors.py has no "no events" either.
Next NativeConnection::watch(Interest want) {
    if (want == watched_) return Next::wait;
    const Interest none{};
    try {
        if (want == none) loop_.selector().unregister(fd());
        else if (watched_ == none) loop_.selector().register_fd(fd(), selector_events(want), this);
        else loop_.selector().modify(fd(), selector_events(want), this);
    } catch (const std::system_error& e) {
        return session_->failed(e.code().value());
    }
    watched_ = want;
    return Next::wait;
}

void NativeConnection::call_soon() { loop_.call_again(*this, fd()); }

void NativeConnection::release() {
    if (watched_ != Interest{}) loop_.selector().unregister(fd());
    loop_.destroy(*this);  // the object is freed after this round of callbacks...
    fd_.reset();           // ...the descriptor now, for the next accept
}

}  // namespace echomux::native
