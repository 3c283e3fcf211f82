// SPDX-License-Identifier: BSL-1.0
#include "echomux/uring/uring_connection.hpp"

#include "echomux/uring/uring_loop.hpp"

#include <poll.h>

namespace echomux::uring {

UringConnection::UringConnection(UringLoop& loop, Service& service, Fd fd)
    : Connection(service, fd.get()), loop_(loop), fd_(std::move(fd)) {}

void UringConnection::start() { follow(Next::wait); }

void UringConnection::arm() {
    const Interest want = interest();
    const unsigned events = (want.read ? POLLIN | POLLRDHUP : 0u) | (want.write ? POLLOUT : 0u);
    if (events == 0 || armed_) return;
    io_uring_sqe* entry = loop_.sqe();
    io_uring_prep_poll_add(entry, fd(), events);
    io_uring_sqe_set_data(entry, static_cast<Completion*>(this));
    armed_ = true;
    loop_.track(+1);
}

void UringConnection::on_complete(const io_uring_cqe& cqe) {
    armed_ = false;
    loop_.track(-1);
    if (state() == State::closed) return done_if_idle();
    Next next = Next::wait;
    const unsigned events = cqe.res > 0 ? static_cast<unsigned>(cqe.res) : 0u;
    if (events & (POLLOUT | POLLERR | POLLHUP)) next = on_write();
    if (next != Next::close && (events & (POLLIN | POLLRDHUP | POLLERR | POLLHUP))) {
        const Next after = on_read(false);
        if (after != Next::wait || next == Next::wait) next = after;
    }
    follow(next);
}

void UringConnection::follow(Next next) {
    if (next == Next::again) loop_.call_soon(*this);
    if (next == Next::close) return close();
    arm();
}

void UringConnection::on_soon() {
    if (state() == State::closed) return;
    follow(on_read(false));
}

void UringConnection::call_soon() { loop_.call_soon(*this); }

void UringConnection::release() {
    if (armed_) loop_.cancel(static_cast<Completion&>(*this));
    done_if_idle();
}

void UringConnection::done_if_idle() {
    if (armed_) return;
    fd_.reset();
    loop_.destroy(*this);
}

}  // namespace echomux::uring
