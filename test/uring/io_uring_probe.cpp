// SPDX-License-Identifier: BSL-1.0
// ctest wrapper for the io_uring tests: runs the command when this kernel gives us a ring
// as the io_uring backend sets it up, else prints why and exits 77 (ctest: skipped, never
// passed). The reason is echomux's own (uring::unavailable_reason), so a skip says what
// `backend = io_uring` would say.
// Usage: io_uring_probe PROGRAM [ARG...]
#include "echomux/backends/uring/ring.hpp"

#include <unistd.h>

#include <cstdio>

int main(int argc, char* argv[]) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: io_uring_probe PROGRAM [ARG...]\n");
        return 2;
    }
    if (const auto reason = echomux::uring::unavailable_reason()) {
        std::printf("SKIP: %s\n", reason->c_str());
        return 77;
    }
    ::execv(argv[1], argv + 1);
    std::perror("io_uring_probe: exec");
    return 2;
}
