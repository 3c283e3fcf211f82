// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/uring/uring_loop.hpp"

#include "echomux/backends/test_wedge.hpp"
#include "echomux/backends/uring/uring_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace echomux::uring {
namespace {

constexpr unsigned kSubmissionEntries = 1024;
// Receive buffers per loop: 64 of up to 32 KiB, 2 MiB mapped. Pages never received into cost
// nothing; under a stream the ring cycles through all of it, which then stays resident. Each
// holds its bytes until the loop hands them on, or until the send of them completes (at most
// half the ring: BufferRing::lend); a receive that finds the ring empty ends with ENOBUFS and
// is submitted again. Measured (stream 16 KiB x 50, ping-pong x 500): 16 KiB
// buffers gave a stream 0.79x the throughput of 32 KiB ones; 16 buffers of 64 KiB cost
// ping-pong 1.2x the CPU in ENOBUFS retries; 64 of 64 KiB (4 MiB resident) streamed faster
// still but broke the conformance suite's memory bounds (max_buffer_bytes + 4 MiB).
constexpr unsigned kReceiveBuffers = 64;
constexpr std::size_t kMostReceiveBytes = 32 * 1024;
// Completions taken per batch, and batches per turn before timers get their turn.
constexpr unsigned kBatch = 256;
constexpr int kBatchesPerTurn = 16;

}  // namespace

UringLoop::UringLoop(SharedState& shared, Fd listener, Fd udp)
    : service_(shared, *this),
      ring_(kSubmissionEntries),
      buffers_(ring_.get(), kReceiveBuffers, std::min(service_.read_size(), kMostReceiveBytes)),
      udp_echo_(service_),
      listener_(std::move(listener)),
      udp_(std::move(udp)),
      turn_(service_, queue_),
      one_listener_(shared.one_listener),
      udp_open_(static_cast<bool>(udp_)) {
    completions_.resize(kBatch);
}

UringLoop::~UringLoop() = default;

io_uring_sqe* UringLoop::sqe() {
    io_uring_sqe* entry = io_uring_get_sqe(ring_.get());
    if (!entry) {  // full: what waits goes in now, the rest with the turn's wait
        io_uring_submit(ring_.get());
        entry = io_uring_get_sqe(ring_.get());
        if (!entry) throw std::runtime_error("io_uring: no free submission entry after a submit");
    }
    return entry;
}

void UringLoop::run() {
    ring_.enable();
    arm_wake();
    arm_accept();
    arm_udp();
    // Finished when drained and nothing the kernel holds (a receive, a send, the accept)
    // can still complete into memory this loop frees.
    while (!(service_.finished() && in_flight_ == 0)) turn();
}

void UringLoop::turn() {
    wait(udp_again_ ? 0 : turn_.wait_ms());
    turn_.woke();
    dispatch();
    if (udp_again_) {
        udp_again_ = false;
        if (udp_open_) udp_again_ = udp_echo_.on_read(udp_.get());
    }
    turn_.finish([](UringConnection* soon) {
        if (soon) soon->on_soon();  // null: it closed meanwhile
    });
}

void UringLoop::wait(int timeout_ms) {
    if (io_uring_cq_ready(ring_.get()) > 0) {  // completions wait already: only submit
        if (const int result = io_uring_submit(ring_.get()); result < 0 && result != -EINTR && result != -EAGAIN)
            throw std::system_error(-result, std::generic_category(), "io_uring_submit");
        return;
    }
    __kernel_timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
    io_uring_cqe* first = nullptr;
    // Submits the turn's entries and waits, in one io_uring_enter (IORING_FEAT_EXT_ARG).
    const int result =
        io_uring_submit_and_wait_timeout(ring_.get(), &first, 1, timeout_ms < 0 ? nullptr : &timeout, nullptr);
    if (result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN && result != -EBUSY)
        throw std::system_error(-result, std::generic_category(), "io_uring_submit_and_wait_timeout");
}

void UringLoop::dispatch() {
    for (int batch = 0; batch < kBatchesPerTurn; ++batch) {
        io_uring_cqe* taken[kBatch];
        const unsigned n = io_uring_peek_batch_cqe(ring_.get(), taken, kBatch);
        for (unsigned i = 0; i < n; ++i) completions_[i] = *taken[i];
        io_uring_cq_advance(ring_.get(), n);
        for (unsigned i = 0; i < n; ++i) {
            const io_uring_cqe& cqe = completions_[i];
            // user_data 0: a cancellation that found nothing to cancel (the operation had ended).
            if (cqe.user_data != 0) reinterpret_cast<Completion*>(cqe.user_data)->on_complete(cqe);
            turn_.between_callbacks();
        }
        if (n < kBatch) return;
    }
}

void UringLoop::cancel(Completion& operation) {
    io_uring_sqe* entry = sqe();
    io_uring_prep_cancel(entry, &operation, 0);
    io_uring_sqe_set_data64(entry, 0);
    entry->flags |= IOSQE_CQE_SKIP_SUCCESS;  // only a failed cancellation says anything
}

void UringLoop::arm_accept() {
    if (accept_armed_ || !accepting_ || !listener_open_) return;
    io_uring_sqe* entry = sqe();
    // Multishot, unless every loop accepts from the one socket (an armed multishot accept
    // keeps its place first in the socket's exclusive wait queue, so one loop would take every
    // connection; a single accept re-queues behind the other loops' each time), or a burst
    // could take more descriptors than the open file limit leaves (Service::may_accept_in_bulk).
    accept_multishot_ = !one_listener_ && service_.may_accept_in_bulk();
    if (accept_multishot_)
        io_uring_prep_multishot_accept(entry, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    else
        io_uring_prep_accept(entry, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data(entry, static_cast<Completion*>(&accept_callback_));
    accept_armed_ = true;
    track(+1);
}

void UringLoop::on_accept(const io_uring_cqe& cqe) {
    if (Completion::final(cqe)) {
        accept_armed_ = false;
        track(-1);
    }
    // A socket accepted while the drain began is served (drained) like the rest.
    if (cqe.res >= 0) service_.admit(cqe.res);
    else if (cqe.res != -ECANCELED) service_.accept_failed(-cqe.res);  // EMFILE: pauses, which clears accepting_
    if (accept_armed_) {
        // Near the descriptor budget: end the multishot accept, and accept one at a time from its
        // final completion on (the kernel may still take a few before the cancel lands).
        if (accept_multishot_ && accepting_ && !service_.may_accept_in_bulk()) {
            accept_multishot_ = false;
            cancel(accept_callback_);
        }
        return;
    }
    if (listener_open_) arm_accept();
    else listener_.reset();  // the drain's close, now that no accept uses it
}

void UringLoop::watch_listener(bool watch) {
    accepting_ = watch;
    if (watch) arm_accept();
    else if (accept_armed_) cancel(accept_callback_);
}

// UDP stops with accepting, as on every backend.
void UringLoop::close_listener() {
    accepting_ = false;
    listener_open_ = false;
    if (accept_armed_) cancel(accept_callback_);
    else listener_.reset();
    udp_open_ = false;
    udp_again_ = false;
    if (udp_armed_) cancel(udp_callback_);
    else udp_.reset();
}

void UringLoop::arm_udp() {
    if (!udp_open_ || udp_armed_) return;
    io_uring_sqe* entry = sqe();
    io_uring_prep_poll_multishot(entry, udp_.get(), POLLIN);
    io_uring_sqe_set_data(entry, static_cast<Completion*>(&udp_callback_));
    udp_armed_ = true;
    track(+1);
}

void UringLoop::on_udp(const io_uring_cqe& cqe) {
    if (Completion::final(cqe)) {
        udp_armed_ = false;
        track(-1);
    }
    // A multishot poll reports new arrivals, not what is still waiting: a datagram budget
    // that ran out is resumed before the next wait.
    if (cqe.res > 0 && udp_open_ && !udp_again_) udp_again_ = udp_echo_.on_read(udp_.get());
    if (udp_armed_) return;
    if (udp_open_) arm_udp();
    else udp_.reset();
}

// Not counted in in_flight_: it reads nothing into our memory, and the ring's end cancels it.
void UringLoop::arm_wake() {
    io_uring_sqe* entry = sqe();
    io_uring_prep_poll_multishot(entry, queue_.fd(), POLLIN);
    io_uring_sqe_set_data(entry, static_cast<Completion*>(&wake_callback_));
}

void UringLoop::on_wake(const io_uring_cqe& cqe) {
    queue_.run_posted();
    if (Completion::final(cqe)) arm_wake();
}

void UringLoop::request_drain() {
    queue_.post([this] { service_.begin_drain(); });
}

void UringLoop::request_reconfigure(const Config& next, std::function<void()> applied) {
    queue_.post([this, next, applied = std::move(applied)] {
        service_.reconfigure(next);
        applied();
    });
}

void UringLoop::adopt(int fd) {
    wedge_if_testing();
    Fd owned(fd);
    connections_.put(fd, std::make_unique<UringConnection>(*this, service_, std::move(owned))).start();
}

void UringLoop::call_soon(UringConnection& connection) { turn_.call_again(&connection); }

void UringLoop::destroy(UringConnection& connection) {
    turn_.forget(&connection, nullptr);
    turn_.free_after_turn(connections_.take(connection.fd()));
}

}  // namespace echomux::uring
