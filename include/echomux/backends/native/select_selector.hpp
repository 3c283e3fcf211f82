// SPDX-License-Identifier: BSL-1.0
// select(2) with bit sets sized to the highest registered fd. A plain fd_set holds only
// FD_SETSIZE (1024) fds, and FD_SET past it corrupts memory; Linux's select() itself
// accepts any nfds the caller provides bits for (libevent's select backend does the
// same), so this selector serves as many fds as the process may open. Its cost still
// grows with the highest fd on every call: that is what the comparison shows.
#pragma once

#include "echomux/backends/native/selector.hpp"

#include <vector>

namespace echomux::native {

class SelectSelector final : public Selector {
public:
    const char* name() const override { return "select"; }

private:
    using Word = unsigned long;  // the kernel's fd_set is an array of longs, one bit per fd
    static constexpr int kBits = 8 * sizeof(Word);

    void add(int fd, unsigned events) override;
    void change(int fd, unsigned events) override;
    void remove(int fd) override;
    void wait(int timeout_ms, std::vector<Ready>& ready) override;

    void set_bits(int fd, unsigned events);

    std::vector<Word> read_set_, write_set_;        // what is registered
    std::vector<Word> read_ready_, write_ready_;    // select()'s working copies
    int max_fd_ = -1;
};

}  // namespace echomux::native
