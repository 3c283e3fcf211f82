// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/poll_selector.hpp"

#include <cerrno>
#include <system_error>

namespace echomux::native {
namespace {
short poll_events(unsigned events) {
    return static_cast<short>(((events & EVENT_READ) ? POLLIN : 0) | ((events & EVENT_WRITE) ? POLLOUT : 0));
}
}  // namespace

void PollSelector::add(int fd, unsigned events) {
    if (static_cast<std::size_t>(fd) >= position_.size()) position_.resize(fd + 1, -1);
    position_[fd] = static_cast<int>(fds_.size());
    fds_.push_back({fd, poll_events(events), 0});
}

void PollSelector::change(int fd, unsigned events) { fds_[position_[fd]].events = poll_events(events); }

void PollSelector::remove(int fd) {
    const int at = position_[fd];
    fds_[at] = fds_.back();  // keep the array dense: move the last entry into the hole
    position_[fds_[at].fd] = at;
    fds_.pop_back();
    position_[fd] = -1;
}

void PollSelector::wait(int timeout_ms, std::vector<Ready>& ready) {
    int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return;
        throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (const pollfd& p : fds_) {
        if (n == 0) break;
        if (p.revents == 0) continue;
        --n;
        // As selectors.py: anything but "writable" can be read (data, EOF, error, hang-up);
        // anything but "readable" lets a write find out (POLLHUP, POLLERR, POLLNVAL).
        unsigned events = 0;
        if (p.revents & ~POLLOUT) events |= EVENT_READ;
        if (p.revents & ~POLLIN) events |= EVENT_WRITE;
        report(ready, p.fd, events);
    }
}

}  // namespace echomux::native
