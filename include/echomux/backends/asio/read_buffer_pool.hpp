// SPDX-License-Identifier: BSL-1.0
// Read buffers lent to the Asio backend's receiving connections. async_read_some needs a
// buffer while it waits (async_wait does not, but Asio re-arms its epoll registration with
// an epoll_ctl for every wait: one extra system call per request). A connection that
// receives borrows one; the pool lends at most max_buffers (then connections wait the
// buffer-less way), and sweep() takes them back from connections that received nothing
// since the last sweep, so idle connections hold no buffer and memory is bounded here.
#pragma once

#include "echomux/core/stats.hpp"

#include <boost/intrusive/list.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace echomux::asio {

class ReadBufferPool {
    using Hook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

public:
    // One who may hold a buffer: asked to give it back once idle.
    class Borrower : public Hook {
    public:
        // No bytes came since the last sweep: give the buffer back (asynchronously: a read
        // that is in flight still owns it until its handler runs).
        virtual void return_when_idle() = 0;

    protected:
        ~Borrower() = default;  // unlinks itself (auto_unlink)

    private:
        friend class ReadBufferPool;
        char* buffer_ = nullptr;
        bool used_ = false;
    };

    ReadBufferPool(std::size_t buffer_bytes, std::size_t max_buffers, Stats& stats);
    ~ReadBufferPool();
    ReadBufferPool(const ReadBufferPool&) = delete;
    ReadBufferPool& operator=(const ReadBufferPool&) = delete;

    std::size_t buffer_bytes() const { return buffer_bytes_; }
    // b's buffer, lent now if it has none; nullptr when all are out.
    char* borrow(Borrower& b);
    static char* buffer_of(const Borrower& b) { return b.buffer_; }
    static void mark_used(Borrower& b) { b.used_ = true; }
    void give_back(Borrower& b);  // no-op without a buffer
    bool lent() const { return !borrowers_.empty(); }
    // Borrowers that received nothing since the previous sweep are asked to give theirs
    // back; spare buffers are freed (memory that comes back).
    void sweep();

private:
    const std::size_t buffer_bytes_, max_buffers_;
    Stats& stats_;
    std::size_t out_ = 0;
    std::vector<std::unique_ptr<char[]>> spare_;
    boost::intrusive::list<Borrower, boost::intrusive::constant_time_size<false>> borrowers_;
};

}  // namespace echomux::asio
