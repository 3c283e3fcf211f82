// SPDX-License-Identifier: BSL-1.0
// poll(2): an array of pollfd, no limit on fd values, cost linear in the number of fds.
#pragma once

#include "echomux/backends/native/selector.hpp"

#include <poll.h>

#include <vector>

namespace echomux::native {

class PollSelector : public Selector {
public:
    const char* name() const override { return "poll"; }

protected:  // a test derives from it to make registrations fail
    void add(int fd, unsigned events) override;
    void change(int fd, unsigned events) override;
    void remove(int fd) override;
    void wait(int timeout_ms, std::vector<Ready>& ready) override;

private:
    std::vector<pollfd> fds_;
    std::vector<int> position_;  // fd -> index in fds_
};

}  // namespace echomux::native
