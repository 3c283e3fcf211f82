// SPDX-License-Identifier: BSL-1.0
// Misbehaviour on purpose (issue 23): what a listener's fault keys make of one connection,
// decided once, as it is accepted, so that open connections keep what they started with
// across a reload. A plain, correct listener keeps beside a faulty one.
#pragma once

#include "echomux/core/config.hpp"

#include <cstdint>
#include <string>

namespace echomux {

struct FaultPlan {
    enum class Action {
        none,
        close,  // FIN; what the client sends next is read and dropped
        reset,  // RST: the client sees ECONNRESET
        stall,  // nothing read or written any more; the connection stays open
    };
    // After exactly after_bytes sent (greeting included): close, reset or stall.
    Action action = Action::none;
    std::uint64_t after_bytes = 0;
    // After lifetime_ms from the start: close or reset (a load balancer's or a NAT's cut).
    Action lifetime_action = Action::none;
    long long lifetime_ms = 0;
    // Every echoed byte waits delay_ms ± jitter_ms; what goes out is paced to bandwidth
    // bytes per second (pacing.hpp). 0: off.
    long long delay_ms = 0, jitter_ms = 0;
    std::uint64_t bandwidth = 0;

    bool paced() const { return delay_ms > 0 || jitter_ms > 0 || bandwidth > 0; }
    bool timed() const { return paced() || lifetime_action != Action::none; }
    // The keys that apply, for the access log's fault=: "delay,bandwidth,close_after"; "" for none.
    std::string names() const;
};

// Whether the settings ask for a fault that fault_probability chooses (close, reset or stall
// after bytes or a time): a connection draws for those only.
bool has_chosen_faults(const Config& c);
// The plan for a connection that drew the chosen faults (`chosen`) or not: delay and
// bandwidth apply to every connection of the listener.
FaultPlan fault_plan(const Config& c, bool chosen);
// The key of the byte fault set ("close_after_bytes"), "" for none: for error messages.
const char* byte_fault_name(const Config& c);

}  // namespace echomux
