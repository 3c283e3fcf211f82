// SPDX-License-Identifier: BSL-1.0
// The receive buffers of one io_uring loop, provided to the kernel as a ring
// (IORING_REGISTER_PBUF_RING): a receive takes a buffer only when bytes arrive and the loop
// gives it back once it has handed them on (or their send, lent the buffer, is over), so
// idle connections hold no buffer at all.
// Memory is mapped, not allocated: pages no receive has used cost no RSS.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>

namespace echomux::uring {

class BufferRing {
public:
    static constexpr std::uint16_t kGroup = 0;  // the buffer group receives select from

    // `count` (a power of two) buffers of `size` bytes. Throws std::runtime_error.
    BufferRing(io_uring* ring, unsigned count, std::size_t size);
    ~BufferRing();
    BufferRing(const BufferRing&) = delete;
    BufferRing& operator=(const BufferRing&) = delete;

    char* buffer(std::uint16_t id) { return buffers_ + static_cast<std::size_t>(id) * size_; }
    std::size_t size() const { return size_; }
    // Back to the kernel, for the next receive.
    void recycle(std::uint16_t id);
    // A send may keep buffer `id` until it completes (so the bytes go out without a copy)
    // while at most half the ring is kept so: a peer that reads nothing holds its send
    // forever, and receives must always find buffers. False: copy the bytes instead.
    bool lend() {
        if (lent_ >= count_ / 2) return false;
        ++lent_;
        return true;
    }
    void give_back(std::uint16_t id) {
        --lent_;
        recycle(id);
    }
    // Whether `bytes` lies inside buffer `id`.
    bool holds(std::uint16_t id, const char* bytes) const {
        const char* start = buffers_ + static_cast<std::size_t>(id) * size_;
        return bytes >= start && bytes < start + size_;
    }

private:
    io_uring* ring_;
    unsigned count_;
    unsigned lent_ = 0;  // buffers kept by sends in flight
    std::size_t size_;
    io_uring_buf_ring* entries_ = nullptr;
    std::size_t entries_bytes_;
    char* buffers_ = nullptr;
};

}  // namespace echomux::uring
