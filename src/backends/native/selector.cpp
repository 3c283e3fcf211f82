// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/selector.hpp"

#include <stdexcept>
#include <string>

namespace echomux::native {
namespace {
void check_events(int fd, unsigned events) {
    if (events == 0 || (events & ~(EVENT_READ | EVENT_WRITE)) != 0)
        throw std::invalid_argument("invalid events " + std::to_string(events) + " for fd " + std::to_string(fd));
}
}  // namespace

const SelectorKey* Selector::get_key(int fd) const {
    if (fd < 0 || static_cast<std::size_t>(fd) >= keys_.size() || keys_[fd].fd < 0) return nullptr;
    return &keys_[fd];
}

void Selector::register_fd(int fd, unsigned events, Handler* data) {
    if (fd < 0) throw std::invalid_argument("invalid fd " + std::to_string(fd));
    check_events(fd, events);
    if (get_key(fd)) throw std::invalid_argument("fd " + std::to_string(fd) + " is already registered");
    if (static_cast<std::size_t>(fd) >= keys_.size()) keys_.resize(fd + 1);
    add(fd, events);  // may throw (EBADF, EPERM...): then nothing is registered
    keys_[fd] = {fd, events, data};
    ++registered_;
}

void Selector::modify(int fd, unsigned events, Handler* data) {
    if (!get_key(fd)) throw std::invalid_argument("fd " + std::to_string(fd) + " is not registered");
    check_events(fd, events);
    if (keys_[fd].events != events) change(fd, events);
    keys_[fd].events = events;
    keys_[fd].data = data;
}

void Selector::unregister(int fd) {
    if (!get_key(fd)) throw std::invalid_argument("fd " + std::to_string(fd) + " is not registered");
    remove(fd);
    keys_[fd] = SelectorKey{};
    --registered_;
}

void Selector::report(std::vector<Ready>& ready, int fd, unsigned events) const {
    if (const SelectorKey* key = get_key(fd)) ready.push_back({*key, events});
}

const std::vector<Ready>& Selector::select(int timeout_ms) {
    ready_.clear();
    wait(timeout_ms, ready_);
    std::size_t kept = 0;
    for (const Ready& r : ready_) {
        unsigned events = r.events & r.key.events;
        if (events & EVENT_READ) events |= r.events & (EVENT_HANGUP | EVENT_URGENT);
        if (events != 0) ready_[kept++] = {r.key, events};
    }
    ready_.resize(kept);
    return ready_;
}

}  // namespace echomux::native
