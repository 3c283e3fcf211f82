// SPDX-License-Identifier: BSL-1.0
// Bounded byte buffer (after muduo's Buffer): a readable region followed by a writable
// one, grown on demand but never past its limit. Storage is allocated when bytes first have
// to wait. Once they have all gone, storage that grew past kKeptWhenEmpty is given back
// (muduo's Buffer::shrink), so a connection that was once slow and is now idle costs no
// more than that; storage up to it is kept, so a connection that queues every message
// (prefix mode, a peer slow by a little) does not allocate and free once per message.
#pragma once

#include <cstddef>
#include <cstring>
#include <vector>

namespace echomux {

class Buffer {
public:
    // Storage kept when the buffer empties; more than this goes back. 4 KiB: messages up
    // to that size allocate once per connection, which then holds one page at most.
    static constexpr std::size_t kKeptWhenEmpty = 4096;

    explicit Buffer(std::size_t limit) : limit_(limit) {}

    std::size_t size() const { return end_ - begin_; }
    bool empty() const { return begin_ == end_; }
    bool full() const { return size() >= limit_; }
    std::size_t space() const { return limit_ - size(); }
    std::size_t limit() const { return limit_; }
    const char* data() const { return store_.data() + begin_; }

    void consume(std::size_t n) {
        begin_ += n;
        if (begin_ == end_) emptied();
    }
    std::size_t capacity() const { return store_.capacity(); }

    // Contiguous room for `n` more bytes (n <= space()), to fill and then commit().
    char* prepare(std::size_t n) {
        if (store_.size() - end_ < n && begin_ > 0) {  // slide the readable bytes to the front
            std::memmove(store_.data(), data(), size());
            end_ -= begin_;
            begin_ = 0;
        }
        if (store_.size() - end_ < n) {
            std::size_t grown = store_.size() * 2;
            if (grown < end_ + n) grown = end_ + n;
            if (grown > limit_) grown = limit_;
            store_.resize(grown);
        }
        return store_.data() + end_;
    }
    void commit(std::size_t n) { end_ += n; }
    void append(const char* bytes, std::size_t n) {
        if (n == 0) return;  // nothing to copy, and no storage to copy it to
        std::memcpy(prepare(n), bytes, n);
        commit(n);
    }

private:
    void emptied() {
        begin_ = end_ = 0;
        if (store_.capacity() > kKeptWhenEmpty) std::vector<char>().swap(store_);
    }

    std::vector<char> store_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t limit_;
};

}  // namespace echomux
