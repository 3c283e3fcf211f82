// SPDX-License-Identifier: BSL-1.0
// Whether a run measured what it was asked to: the judgement every workload (TCP, UDP,
// churn) passes its Result through before it is reported. A run that is not valid gives no
// number (Result::invalid); one whose figures are bounded by the client says so (notes).
#pragma once

#include "load.hpp"

#include <vector>

namespace echomux::bench {

// `thread_cpu_seconds`: each load thread's CPU time in the window; a thread at >= 95% of one
// core was the bottleneck, not the server. Appends to r.invalid and r.notes.
void judge(const Workload& w, Result& r, const std::vector<double>& thread_cpu_seconds);

}  // namespace echomux::bench
