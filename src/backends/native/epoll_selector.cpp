// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/epoll_selector.hpp"

#include <cerrno>
#include <system_error>

namespace echomux::native {

EpollSelector::EpollSelector(bool edge_triggered)
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), edge_(edge_triggered), events_(256) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

void EpollSelector::control(int op, int fd, unsigned events) {
    epoll_event e{};
    // EPOLLRDHUP: the peer's FIN is reported even when no data comes with it; EPOLLPRI:
    // urgent data (read inline, SO_OOBINLINE) stops a read short at its mark.
    e.events = ((events & EVENT_READ) ? EPOLLIN | EPOLLPRI | EPOLLRDHUP : 0u) | ((events & EVENT_WRITE) ? EPOLLOUT : 0u) |
               (edge_ ? EPOLLET : 0u);
    e.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), op, fd, &e) != 0) throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

void EpollSelector::add(int fd, unsigned events) { control(EPOLL_CTL_ADD, fd, events); }

// Also re-arms: a modify reports readiness that is already there, even edge-triggered.
void EpollSelector::change(int fd, unsigned events) { control(EPOLL_CTL_MOD, fd, events); }

void EpollSelector::remove(int fd) {
    epoll_event unused{};
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, &unused);
}

void EpollSelector::wait(int timeout_ms, std::vector<Ready>& ready) {
    const int n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return;
        throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
        const std::uint32_t e = events_[i].events;
        unsigned events = 0;
        // Hang-up and error go to both sides, so the callback's recv/send sees them, after
        // reading any data that arrived before the hang-up.
        if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) events |= EVENT_READ;
        if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) events |= EVENT_HANGUP;
        if (e & EPOLLPRI) events |= EVENT_URGENT;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) events |= EVENT_WRITE;
        report(ready, events_[i].data.fd, events);
    }
    if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);  // busy: take more per call
}

}  // namespace echomux::native
