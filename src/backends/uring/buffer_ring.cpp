// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/uring/buffer_ring.hpp"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace echomux::uring {
namespace {
void* map(std::size_t bytes) {
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::runtime_error("io_uring: cannot map " + std::to_string(bytes) + " bytes of receive buffers");
    return memory;
}
}  // namespace

BufferRing::BufferRing(io_uring* ring, unsigned count, std::size_t size)
    : ring_(ring), count_(count), size_(size), entries_bytes_(count * sizeof(io_uring_buf)) {
    // liburing 2.3 has no io_uring_setup_buf_ring: map, initialise and register by hand.
    entries_ = static_cast<io_uring_buf_ring*>(map(entries_bytes_));
    try {
        buffers_ = static_cast<char*>(map(count_ * size_));
    } catch (...) {
        ::munmap(entries_, entries_bytes_);
        throw;
    }
    io_uring_buf_ring_init(entries_);
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uintptr_t>(entries_);
    registration.ring_entries = count_;
    registration.bgid = kGroup;
    if (const int result = io_uring_register_buf_ring(ring_, &registration, 0); result < 0) {
        ::munmap(buffers_, count_ * size_);
        ::munmap(entries_, entries_bytes_);
        throw std::runtime_error(std::string("backend = io_uring: the kernel refused a provided-buffer ring (") +
                                 std::strerror(-result) + "; Linux 5.19 or later needed); use backend = epoll");
    }
    const int mask = io_uring_buf_ring_mask(count_);
    for (unsigned id = 0; id < count_; ++id) io_uring_buf_ring_add(entries_, buffer(id), size_, id, mask, id);
    io_uring_buf_ring_advance(entries_, count_);
}

BufferRing::~BufferRing() {
    io_uring_unregister_buf_ring(ring_, kGroup);
    ::munmap(buffers_, count_ * size_);
    ::munmap(entries_, entries_bytes_);
}

void BufferRing::recycle(std::uint16_t id) {
    io_uring_buf_ring_add(entries_, buffer(id), size_, id, io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(entries_, 1);
}

}  // namespace echomux::uring
