// SPDX-License-Identifier: BSL-1.0
#include "failing_allocation.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> fail_from{SIZE_MAX};
}  // namespace

namespace echomux::test {
FailLargeAllocations::FailLargeAllocations(std::size_t bytes) { fail_from = bytes; }
FailLargeAllocations::~FailLargeAllocations() { fail_from = SIZE_MAX; }
}  // namespace echomux::test

// malloc/free underneath, so sanitizers still see every allocation.
void* operator new(std::size_t n) {
    if (n >= fail_from.load(std::memory_order_relaxed)) throw std::bad_alloc();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
// The nothrow forms too: left to the runtime, their blocks would come back through the
// free() below (ASan: alloc-dealloc-mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (n >= fail_from.load(std::memory_order_relaxed)) return nullptr;
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
