// SPDX-License-Identifier: BSL-1.0
// What every event loop of one server shares: the settings as started, the count of open
// connections that max_connections bounds, and what the shell decided before the loops ran.
#pragma once

#include "echomux/core/config.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace echomux {

// State shared by all loops of one server.
struct SharedState {
    explicit SharedState(const Config& c) : config(c), max_connections(c.max_connections), mode(c.mode) {}
    const Config config;  // as started; each loop keeps its own copy, which SIGHUP can update
    std::atomic<std::size_t> active{0};  // open connections, all loops: max_connections
    // What a reload changed, for /metrics (the loops have their own copies).
    std::atomic<std::size_t> max_connections;
    std::atomic<Mode> mode;
    // Every loop accepts from one inherited socket (dups of it), not from a SO_REUSEPORT
    // socket of its own: set before the loops are made.
    bool one_listener = false;
    // Echo connections the open file limit has room for (after metrics and the reserve),
    // set before the loops start; over max_connections, each still takes one for a moment.
    std::size_t descriptor_budget = SIZE_MAX;
};

}  // namespace echomux
