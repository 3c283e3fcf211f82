// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/fault_plan.hpp"

namespace echomux {

const char* FaultPlan::name() const {
    switch (action) {
        case Action::none: return "";
        case Action::close: return "close_after_bytes";
        case Action::reset: return "reset_after_bytes";
        case Action::stall: return "stall_after_bytes";
    }
    return "";
}

bool has_faults(const Config& c) { return c.close_after_bytes || c.reset_after_bytes || c.stall_after_bytes; }

// At most one of the three is set (the config check refuses more).
FaultPlan fault_plan(const Config& c, bool chosen) {
    if (!chosen) return {};
    if (c.close_after_bytes) return {FaultPlan::Action::close, c.close_after_bytes};
    if (c.reset_after_bytes) return {FaultPlan::Action::reset, c.reset_after_bytes};
    if (c.stall_after_bytes) return {FaultPlan::Action::stall, c.stall_after_bytes};
    return {};
}

}  // namespace echomux
