// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/fault_plan.hpp"

namespace echomux {
namespace {
long long to_ms(double seconds) { return static_cast<long long>(seconds * 1000 + 0.5); }
}  // namespace

std::string FaultPlan::names() const {
    std::string out;
    const auto add = [&out](bool applies, const char* name) {
        if (!applies) return;
        if (!out.empty()) out += ',';
        out += name;
    };
    add(delay_ms > 0 || jitter_ms > 0, "delay");
    add(bandwidth > 0, "bandwidth");
    add(action == Action::close, "close_after_bytes");
    add(action == Action::reset, "reset_after_bytes");
    add(action == Action::stall, "stall_after_bytes");
    add(lifetime_action == Action::close, "close_after");
    add(lifetime_action == Action::reset, "reset_after");
    return out;
}

const char* byte_fault_name(const Config& c) {
    if (c.close_after_bytes) return "close_after_bytes";
    if (c.reset_after_bytes) return "reset_after_bytes";
    if (c.stall_after_bytes) return "stall_after_bytes";
    return "";
}

bool has_chosen_faults(const Config& c) {
    return c.close_after_bytes || c.reset_after_bytes || c.stall_after_bytes || c.close_after > 0 ||
           c.reset_after > 0;
}

// At most one byte fault and one lifetime fault are set (the config check refuses more).
FaultPlan fault_plan(const Config& c, bool chosen) {
    FaultPlan plan;
    plan.delay_ms = to_ms(c.delay);
    plan.jitter_ms = to_ms(c.delay_jitter);
    plan.bandwidth = c.bandwidth;
    if (!chosen) return plan;
    if (c.close_after_bytes) plan.action = FaultPlan::Action::close, plan.after_bytes = c.close_after_bytes;
    if (c.reset_after_bytes) plan.action = FaultPlan::Action::reset, plan.after_bytes = c.reset_after_bytes;
    if (c.stall_after_bytes) plan.action = FaultPlan::Action::stall, plan.after_bytes = c.stall_after_bytes;
    if (c.close_after > 0) plan.lifetime_action = FaultPlan::Action::close, plan.lifetime_ms = to_ms(c.close_after);
    if (c.reset_after > 0) plan.lifetime_action = FaultPlan::Action::reset, plan.lifetime_ms = to_ms(c.reset_after);
    return plan;
}

}  // namespace echomux
