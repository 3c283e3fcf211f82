// SPDX-License-Identifier: BSL-1.0
// What the event loops of one server share: per listener, the settings as started and its
// open connections; for the whole process, the count that max_connections bounds and what
// the shell decided before the loops ran.
#pragma once

#include "echomux/core/config.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace echomux {

class TlsContext;

// Every listener's loops together.
struct ProcessState {
    explicit ProcessState(const Config& c) : max_connections(c.max_connections) {}
    std::atomic<std::size_t> active{0};  // open connections, all listeners: max_connections
    std::atomic<std::size_t> max_connections;  // what a reload changed, for /metrics
    // Echo connections the open file limit has room for (after metrics and the reserve),
    // set before the loops start; over max_connections, each still takes one for a moment.
    std::size_t descriptor_budget = SIZE_MAX;
};

// State shared by the loops of one listener.
struct SharedState {
    // A listener of its own process (tests, tools): its own ProcessState.
    explicit SharedState(const Config& c) : SharedState(c, own_process_) {}
    SharedState(const Config& c, ProcessState& p) : own_process_(c), config(c), process(p), mode(c.mode) {}

private:
    ProcessState own_process_;  // unused when another is given

public:
    const Config config;  // as started; each loop keeps its own copy, which SIGHUP can update
    ProcessState& process;
    std::atomic<std::size_t> active{0};  // this listener's open connections (a share of process.active)
    std::atomic<Mode> mode;  // what a reload changed, for /metrics (the loops have their own copies)
    // Every loop accepts from one inherited socket (dups of it), not from a SO_REUSEPORT
    // socket of its own: set before the loops are made.
    bool one_listener = false;

    // The TLS settings new handshakes use, null without TLS: loaded once by the shell, at
    // start and at each reload, before the loops are told; each loop takes it then.
    std::shared_ptr<const TlsContext> tls() const { return std::atomic_load(&tls_); }
    void set_tls(std::shared_ptr<const TlsContext> next) { std::atomic_store(&tls_, std::move(next)); }

private:
    std::shared_ptr<const TlsContext> tls_;
};

}  // namespace echomux
