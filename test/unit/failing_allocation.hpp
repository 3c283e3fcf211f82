// SPDX-License-Identifier: BSL-1.0
// Test helper for the unit test binary: while a FailLargeAllocations is alive, operator new
// throws std::bad_alloc for any request of at least `bytes`, as it would when memory (or
// `ulimit -v`) runs out. The binary's global operator new/delete are replaced for this.
#pragma once

#include <cstddef>

namespace echomux::test {

class FailLargeAllocations {
public:
    explicit FailLargeAllocations(std::size_t bytes);
    ~FailLargeAllocations();
    FailLargeAllocations(const FailLargeAllocations&) = delete;
    FailLargeAllocations& operator=(const FailLargeAllocations&) = delete;
};

}  // namespace echomux::test
