// SPDX-License-Identifier: BSL-1.0
// epoll(7), level- or edge-triggered: cost proportional to the ready fds, not to all.
#pragma once

#include "echomux/util/fd.hpp"
#include "echomux/backends/native/selector.hpp"

#include <sys/epoll.h>

#include <vector>

namespace echomux::native {

class EpollSelector final : public Selector {
public:
    explicit EpollSelector(bool edge_triggered);
    const char* name() const override { return edge_ ? "epoll-edge" : "epoll-level"; }
    bool edge_triggered() const override { return edge_; }

private:
    void add(int fd, unsigned events) override;
    void change(int fd, unsigned events) override;
    void remove(int fd) override;
    void wait(int timeout_ms, std::vector<Ready>& ready) override;
    void control(int op, int fd, unsigned events);

    Fd epoll_;
    bool edge_;
    std::vector<epoll_event> events_;
};

}  // namespace echomux::native
