// SPDX-License-Identifier: BSL-1.0
// Picks the event loop for the configured backend. Apart from event_loop.hpp, so the
// interface includes none of its implementations.
#pragma once

#include "echomux/backends/event_loop.hpp"
#include "echomux/core/shared_state.hpp"

#include <memory>

namespace echomux {

// `config` with backend = auto made a loop: io_uring where this kernel sets up a ring as the
// io_uring loop needs it, else epoll (in config.epoll_mode). Logs one line saying which and
// why. Any other backend comes back as it is. The one place auto is decided.
Config resolve_backend(Config config);

// The loop for config.backend (resolved), serving connections from `listener` and, unless it is
// empty (udp = off), datagrams on `udp`.
std::unique_ptr<EventLoop> make_event_loop(SharedState& shared, Fd listener, Fd udp);

}  // namespace echomux
