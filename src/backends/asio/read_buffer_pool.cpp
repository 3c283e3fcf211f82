// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/asio/read_buffer_pool.hpp"

namespace echomux::asio {

ReadBufferPool::ReadBufferPool(std::size_t buffer_bytes, std::size_t max_buffers, Stats& stats)
    : buffer_bytes_(buffer_bytes), max_buffers_(max_buffers), stats_(stats) {}

ReadBufferPool::~ReadBufferPool() {
    // Borrowers still linked outlive the pool only at teardown: their buffers go with it.
    while (!borrowers_.empty()) {
        Borrower& b = borrowers_.front();
        delete[] b.buffer_;
        b.buffer_ = nullptr;
        borrowers_.pop_front();
    }
}

char* ReadBufferPool::borrow(Borrower& b) {
    if (b.buffer_) return b.buffer_;
    if (out_ == max_buffers_) return nullptr;
    std::unique_ptr<char[]> buffer;
    if (spare_.empty()) {
        buffer.reset(new (std::nothrow) char[buffer_bytes_]);
        if (!buffer) return nullptr;
    } else {
        buffer = std::move(spare_.back());
        spare_.pop_back();
    }
    b.buffer_ = buffer.release();
    b.used_ = true;  // a whole sweep period before it counts as idle
    borrowers_.push_back(b);
    ++out_;
    stats_.read_buffers_lent.add();
    return b.buffer_;
}

void ReadBufferPool::give_back(Borrower& b) {
    if (!b.buffer_) return;
    spare_.emplace_back(b.buffer_);
    b.buffer_ = nullptr;
    b.unlink();
    --out_;
    stats_.read_buffers_returned.add();
}

void ReadBufferPool::sweep() {
    spare_.clear();
    for (auto it = borrowers_.begin(); it != borrowers_.end();) {
        Borrower& b = *it++;  // return_when_idle() may unlink b
        if (b.used_)
            b.used_ = false;
        else
            b.return_when_idle();
    }
}

}  // namespace echomux::asio
