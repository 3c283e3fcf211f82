// SPDX-License-Identifier: BSL-1.0
// The io_uring loop's spare send copies: the 64 KiB blocks a connection copies bytes into
// for the kernel to send from (see uring_connection.hpp). A connection that has nothing left
// to send gives its block back here, and the next one with more than 4 KiB to send takes it.
// Freed and allocated anew instead, each block was an mmap and a munmap (M_MMAP_THRESHOLD is
// 64 KiB, main.cpp) and its pages faulted in again on every copy: a TLS stream, whose send
// completes before the next record is decrypted, has nothing to send every few records, and
// spent about a third more CPU per byte on that than the other backends.
// At most kKept spare blocks: what an idle loop keeps is bounded, whatever it once served.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace echomux::uring {

class SendCopies {
public:
    static constexpr std::size_t kBytes = 64 * 1024;
    static constexpr std::size_t kKept = 16;  // 1 MiB per loop at most

    SendCopies() { spare_.reserve(kKept); }  // give_back() never allocates

    // A block of kBytes: a spare one when there is one. Throws std::bad_alloc.
    std::unique_ptr<char[]> take() {
        if (spare_.empty()) return std::unique_ptr<char[]>(new char[kBytes]);
        std::unique_ptr<char[]> block = std::move(spare_.back());
        spare_.pop_back();
        return block;
    }
    // A block take() gave, no longer used: kept for the next take(), or freed when enough are.
    void give_back(std::unique_ptr<char[]> block) {
        if (block && spare_.size() < kKept) spare_.push_back(std::move(block));
    }
    std::size_t spare() const { return spare_.size(); }

private:
    std::vector<std::unique_ptr<char[]>> spare_;
};

}  // namespace echomux::uring
