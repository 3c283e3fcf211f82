// SPDX-License-Identifier: BSL-1.0
// Picks the event loop for the configured backend. Apart from event_loop.hpp, so the
// interface includes none of its implementations.
#pragma once

#include "echomux/backends/event_loop.hpp"
#include "echomux/core/shared_state.hpp"

#include <memory>

namespace echomux {

// The loop for config.backend, serving connections from `listener` and, unless it is
// empty (udp = off), datagrams on `udp`.
std::unique_ptr<EventLoop> make_event_loop(SharedState& shared, Fd listener, Fd udp);

}  // namespace echomux
