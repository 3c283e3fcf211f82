// SPDX-License-Identifier: BSL-1.0
// One io_uring instance (liburing) for one event loop thread, and the one line that says
// why the kernel will not give us one. Set up in the starting thread (so a refusal fails
// the start, before "listening on"), used only by the loop thread that enables it.
#pragma once

#include <liburing.h>

#include <optional>
#include <string>

namespace echomux::uring {

// Why io_uring is unavailable here, as "backend = io_uring: ...; use backend = epoll";
// nullopt when a ring as the io_uring loop needs it can be set up. Sets one up to find out.
std::optional<std::string> unavailable_reason();

class Ring {
public:
    // Throws std::runtime_error with unavailable_reason()'s line when the kernel refuses.
    explicit Ring(unsigned entries);
    ~Ring() { io_uring_queue_exit(&ring_); }
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    io_uring* get() { return &ring_; }
    // In the thread that submits from now on: the ring is single-issuer (its completions
    // run as task work in that thread, at our io_uring_enter, not as interrupts elsewhere).
    void enable();

private:
    io_uring ring_{};
};

}  // namespace echomux::uring
