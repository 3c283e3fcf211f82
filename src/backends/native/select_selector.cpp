// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/native/select_selector.hpp"

#include <sys/select.h>

#include <cerrno>
#include <system_error>

namespace echomux::native {

void SelectSelector::set_bits(int fd, unsigned events) {
    const std::size_t word = static_cast<std::size_t>(fd) / kBits;
    const Word bit = Word{1} << (fd % kBits);
    if (word >= read_set_.size()) {
        read_set_.resize(word + 1);
        write_set_.resize(word + 1);
    }
    read_set_[word] = (events & EVENT_READ) ? (read_set_[word] | bit) : (read_set_[word] & ~bit);
    write_set_[word] = (events & EVENT_WRITE) ? (write_set_[word] | bit) : (write_set_[word] & ~bit);
}

void SelectSelector::add(int fd, unsigned events) {
    set_bits(fd, events);
    if (fd > max_fd_) max_fd_ = fd;
}

void SelectSelector::change(int fd, unsigned events) { set_bits(fd, events); }

void SelectSelector::remove(int fd) {
    set_bits(fd, 0);
    if (fd != max_fd_) return;
    do {
        --max_fd_;
    } while (max_fd_ >= 0 && !get_key(max_fd_));
}

void SelectSelector::wait(int timeout_ms, std::vector<Ready>& ready) {
    const std::size_t words = max_fd_ < 0 ? 0 : static_cast<std::size_t>(max_fd_) / kBits + 1;
    read_ready_.assign(read_set_.begin(), read_set_.begin() + words);
    write_ready_.assign(write_set_.begin(), write_set_.begin() + words);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    // The vectors are at least as large as nfds bits, which is all the kernel touches.
    const int n = ::select(max_fd_ + 1, reinterpret_cast<fd_set*>(read_ready_.data()),
                           reinterpret_cast<fd_set*>(write_ready_.data()), nullptr, timeout_ms < 0 ? nullptr : &tv);
    if (n < 0) {
        if (errno == EINTR) return;
        throw std::system_error(errno, std::generic_category(), "select");
    }
    for (std::size_t w = 0; w < words && n > 0; ++w) {
        Word any = read_ready_[w] | write_ready_[w];
        while (any != 0) {
            const int bit = __builtin_ctzl(any);
            any &= any - 1;
            const int fd = static_cast<int>(w * kBits) + bit;
            unsigned events = 0;
            if (read_ready_[w] & (Word{1} << bit)) events |= EVENT_READ;
            if (write_ready_[w] & (Word{1} << bit)) events |= EVENT_WRITE;
            report(ready, fd, events);
        }
    }
}

}  // namespace echomux::native
