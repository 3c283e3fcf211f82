// SPDX-License-Identifier: BSL-1.0
// A connection of the io_uring loop. INTERIM: drives the readiness core with one-shot
// IORING_OP_POLL_ADD until the completion core lands.
#pragma once

#include "echomux/connection.hpp"
#include "echomux/fd.hpp"
#include "echomux/uring/completion.hpp"

namespace echomux::uring {

class UringLoop;

class UringConnection final : public Connection, private Completion {
public:
    UringConnection(UringLoop& loop, Service& service, Fd fd);
    void start();
    void on_soon();

private:
    void on_complete(const io_uring_cqe& cqe) override;
    void release() override;
    void call_soon() override;
    void follow(Next next);
    void arm();
    void done_if_idle();

    UringLoop& loop_;
    Fd fd_;
    bool armed_ = false;
};

}  // namespace echomux::uring
