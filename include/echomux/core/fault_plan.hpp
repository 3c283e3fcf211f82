// SPDX-License-Identifier: BSL-1.0
// Misbehaviour on purpose (issue 23): what a listener's fault keys make of one connection,
// decided once, as it is accepted, so that open connections keep what they started with
// across a reload. A plain, correct listener keeps beside a faulty one.
#pragma once

#include "echomux/core/config.hpp"

#include <cstdint>

namespace echomux {

struct FaultPlan {
    enum class Action {
        none,
        close,  // FIN after exactly after_bytes sent; what the client sends next is read and dropped
        reset,  // RST after exactly after_bytes sent: the client sees ECONNRESET
        stall,  // after after_bytes sent, nothing read or written; the connection stays open
    };
    Action action = Action::none;
    std::uint64_t after_bytes = 0;
    // The key that set it, for the access log's fault=: "close_after_bytes"; "" for none.
    const char* name() const;
};

// Whether the settings ask for any fault (so a connection draws fault_probability).
bool has_faults(const Config& c);
// The plan for a connection that drew the fault (`chosen`) or not.
FaultPlan fault_plan(const Config& c, bool chosen);

}  // namespace echomux
