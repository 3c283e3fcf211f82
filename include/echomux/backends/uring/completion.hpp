// SPDX-License-Identifier: BSL-1.0
// What an io_uring submission's user_data points to: the handler of its completions (one,
// or several for a multishot operation, the last without IORING_CQE_F_MORE). The io_uring
// counterpart of the selectors' Handler.
#pragma once

#include <liburing.h>

namespace echomux::uring {

class Completion {
public:
    virtual void on_complete(const io_uring_cqe& cqe) = 0;

    // The operation's last completion: nothing of it is in flight any more.
    static bool final(const io_uring_cqe& cqe) { return !(cqe.flags & IORING_CQE_F_MORE); }

protected:
    ~Completion() = default;
};

}  // namespace echomux::uring
