// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/uring/ring.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace echomux::uring {
namespace {

constexpr const char* kInstead = "; use backend = epoll";

// SINGLE_ISSUER + DEFER_TASKRUN (Linux 6.1): completions are processed when the loop asks
// for them, in batches, not as they happen. R_DISABLED: the issuer is the thread that
// enables the ring, not the one that sets it up.
constexpr unsigned kFlags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED |
                            IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
// What the loop relies on beyond 6.1's operations: one-syscall timed waits (EXT_ARG),
// completions that are never dropped (NODROP), socket operations without a worker thread
// (FAST_POLL), cancellations that post nothing (CQE_SKIP).
constexpr unsigned kFeatures = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_FAST_POLL | IORING_FEAT_CQE_SKIP;

std::string sysctl(const char* path) {
    std::ifstream in(path);
    std::string value;
    in >> value;
    return value;
}

std::string refusal(int error) {
    const std::string why = std::strerror(error);
    switch (error) {
        case EPERM: {
            const std::string disabled = sysctl("/proc/sys/kernel/io_uring_disabled");
            if (disabled == "2") return "the kernel refused io_uring_setup (" + why + ": kernel.io_uring_disabled = 2)";
            if (disabled == "1")
                return "the kernel refused io_uring_setup (" + why +
                       ": kernel.io_uring_disabled = 1 and this user is not in kernel.io_uring_group)";
            return "the kernel refused io_uring_setup (" + why +
                   ": a seccomp profile, such as a container runtime's default, blocks it)";
        }
        case ENOSYS:
            return "the kernel has no io_uring_setup (" + why + ": built without io_uring, or a seccomp profile)";
        case EINVAL:
            return "the kernel cannot set up the ring (" + why +
                   ": IORING_SETUP_DEFER_TASKRUN and SINGLE_ISSUER need Linux 6.1 or later)";
        default:
            return "io_uring_setup failed (" + why + ")";
    }
}

// 0 when the ring is set up, else the negative errno (and no ring).
int set_up(io_uring& ring, unsigned entries, std::string& missing) {
    io_uring_params params{};
    params.flags = kFlags;
    params.cq_entries = entries * 16;  // multishot receives post many completions per submission
    const int result = io_uring_queue_init_params(entries, &ring, &params);
    if (result < 0) return result;
    if ((params.features & kFeatures) != kFeatures) {
        io_uring_queue_exit(&ring);
        missing = "the kernel's io_uring lacks EXT_ARG, NODROP, FAST_POLL or CQE_SKIP (Linux 6.1 or later needed)";
        return -EOPNOTSUPP;
    }
    return 0;
}

std::string line(const std::string& reason) { return "backend = io_uring: " + reason + kInstead; }

}  // namespace

std::optional<std::string> unavailable_reason() {
    io_uring ring{};
    std::string missing;
    const int result = set_up(ring, 8, missing);
    if (result == 0) {
        io_uring_queue_exit(&ring);
        return std::nullopt;
    }
    return line(missing.empty() ? refusal(-result) : missing);
}

Ring::Ring(unsigned entries) {
    std::string missing;
    const int result = set_up(ring_, entries, missing);
    if (result < 0) throw std::runtime_error(line(missing.empty() ? refusal(-result) : missing));
}

void Ring::enable() {
    // The system call itself: Debian's liburing.so.2 (2.3) declares io_uring_enable_rings but
    // does not export it.
    if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) != 0)
        throw std::runtime_error(std::string("io_uring: cannot enable the ring: ") + std::strerror(errno));
    // The ring's own descriptor, registered: io_uring_enter skips the file table lookup.
    io_uring_register_ring_fd(&ring_);  // best effort: only a cost when it fails
}

}  // namespace echomux::uring
