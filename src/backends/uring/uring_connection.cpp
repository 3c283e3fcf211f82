// SPDX-License-Identifier: BSL-1.0
#include "echomux/backends/uring/uring_connection.hpp"

#include "echomux/backends/uring/uring_loop.hpp"
#include "echomux/core/buffer.hpp"
#include "echomux/core/service.hpp"
#include "echomux/util/socket_address.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace echomux::uring {
namespace {
constexpr std::size_t kMostSendBytes = SendCopies::kBytes;
}  // namespace

UringConnection::UringConnection(UringLoop& loop, Service& service, Fd fd)
    : loop_(loop), fd_(std::move(fd)), session_(make_session(service, *this)) {}

void UringConnection::start() { follow(session_->start()); }

// One receive at a time, of at most read_room() bytes, into a buffer the kernel picks from
// the ring when bytes arrive: nothing arrives that the core has no room for. (A multishot
// receive goes on receiving until its cancellation is processed: measured here, megabytes
// of a fast sender's stream arrived after the core had stopped reading, and were held.)
void UringConnection::receive() {
    io_uring_sqe* entry = loop_.sqe();
    const std::size_t room = std::min(session_->read_room(), loop_.buffers().size());
    io_uring_prep_recv(entry, fd_.get(), nullptr, room, 0);
    entry->flags |= IOSQE_BUFFER_SELECT;
    entry->buf_group = BufferRing::kGroup;
    // The last receive emptied the socket: wait for bytes before trying (no futile attempt).
    if (!more_waiting_) entry->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data(entry, static_cast<Completion*>(&receive_));
    receiving_ = true;
    loop_.track(+1);
}

void UringConnection::on_received(const io_uring_cqe& cqe) {
    receiving_ = cancelling_ = false;
    loop_.track(-1);
    more_waiting_ = cqe.flags & IORING_CQE_F_SOCK_NONEMPTY;
    Next next = Next::wait;
    if (cqe.res > 0) {
        const auto id = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        // Bytes that arrived after a close (the cancel raced them) are dropped, as a closed
        // socket would; the buffer goes back then, or once a send lent it is over.
        arrived_ = id;
        if (!released_) next = session_->received(loop_.buffers().buffer(id), static_cast<std::size_t>(cqe.res));
        if (arrived_ >= 0) loop_.buffers().recycle(id);  // unless send() lent it to a send
        arrived_ = -1;
    } else if (cqe.res == 0) {
        peer_done_ = true;
        if (!released_) next = session_->peer_closed();
    } else if (cqe.res != -ECANCELED && cqe.res != -ENOBUFS) {
        // ENOBUFS: the ring was empty for a moment; received again below, with the buffers
        // this turn gave back.
        peer_done_ = true;
        if (!released_) next = session_->failed(-cqe.res);
    }
    if (released_) return finish_if_idle();
    follow(next);
}

long UringConnection::send(const char* bytes, std::size_t n) {
    if (out_ || released_) return 0;  // one send at a time: writable() comes when it is done
    // Up to 64 KiB (a readiness loop's read_chunk_bytes) in one send: 16 KiB at a time, a
    // stream's pipeline was too shallow; all the core holds, its memory would double.
    const std::size_t take = std::min(n, kMostSendBytes);
    BufferRing& ring = loop_.buffers();
    if (arrived_ >= 0 && ring.holds(static_cast<std::uint16_t>(arrived_), bytes) && ring.lend()) {
        lent_buffer_ = arrived_;
        arrived_ = -1;
        out_ = bytes;
    } else {
        // The kernel reads the bytes until the send's completion, and the core reuses its
        // storage at once: they go into the connection's one send copy, reused for every send
        // after (not a heap copy per send); a large one comes from the loop's spares.
        if (take > copy_size_) {
            if (take <= Buffer::kKeptWhenEmpty) {
                copy_.reset(new char[Buffer::kKeptWhenEmpty]);
                copy_size_ = Buffer::kKeptWhenEmpty;
            } else {
                copy_ = loop_.send_copies().take();
                copy_size_ = kMostSendBytes;
            }
        }
        std::memcpy(copy_.get(), bytes, take);
        out_ = copy_.get();
    }
    out_size_ = take;
    out_sent_ = 0;
    submit_send();
    return static_cast<long>(take);
}

void UringConnection::submit_send() {
    io_uring_sqe* entry = loop_.sqe();
    // MSG_NOSIGNAL: a peer that went away is an EPIPE for this connection, not a SIGPIPE.
    io_uring_prep_send(entry, fd_.get(), out_ + out_sent_, out_size_ - out_sent_, MSG_NOSIGNAL);
    io_uring_sqe_set_data(entry, static_cast<Completion*>(&send_));
    loop_.track(+1);
}

void UringConnection::on_sent(const io_uring_cqe& cqe) {
    loop_.track(-1);
    if (released_) {
        sent();
        return finish_if_idle();
    }
    if (cqe.res < 0) {
        sent();
        return follow(session_->failed(-cqe.res));
    }
    out_sent_ += static_cast<std::size_t>(cqe.res);
    if (out_sent_ < out_size_) return submit_send();  // a short send: the rest, before anything newer
    sent();
    follow(session_->writable());
}

void UringConnection::sent() {
    out_ = nullptr;
    if (lent_buffer_ >= 0) loop_.buffers().give_back(static_cast<std::uint16_t>(lent_buffer_));
    lent_buffer_ = -1;
}

void UringConnection::give_back_copy() {
    loop_.send_copies().give_back(std::move(copy_));
    copy_size_ = 0;
}

void UringConnection::follow(Next next) {
    if (released_) return;
    // Bytes that wait with no send in flight go now: nothing else would send them.
    if (next != Next::close && !out_ && session_->interest().write) {
        const Next after = session_->writable();
        if (after != Next::wait) next = after;
    }
    // Nothing more to send: an idle connection keeps at most a small copy (as Buffer does);
    // a large one goes back to the loop, for the next send that needs one.
    if (!out_ && copy_size_ > Buffer::kKeptWhenEmpty) give_back_copy();
    if (next == Next::close) return session_->close();
    if (next == Next::again) loop_.call_soon(*this);
    const bool want = !peer_done_ && session_->read_room() > 0;
    if (want && !receiving_) receive();
    else if (!want && receiving_ && !cancelling_) {
        // No room any more (a receive is sized to the room, so only after a resume):
        // what it brings all the same is held by the core, bounded by its size.
        loop_.cancel(receive_);
        cancelling_ = true;
    }
}

void UringConnection::on_soon() {
    if (!released_) follow(session_->resume());
}

void UringConnection::call_soon() { loop_.call_soon(*this); }

void UringConnection::release() {
    released_ = true;
    if (receiving_ && !cancelling_) loop_.cancel(receive_);
    if (out_) loop_.cancel(send_);  // a peer that reads nothing would hold the send forever
    cancelling_ = receiving_;
    finish_if_idle();
}

// The descriptor closes once the kernel's operations on it end: SO_LINGER 0 makes that a RST.
void UringConnection::abort() {
    const linger reset{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    release();
}

// Sent at once, not through the ring: every send of ours has completed by now (flushed()).
void UringConnection::shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }

Endpoints UringConnection::endpoints() const { return {peer_address(fd_.get()), local_address(fd_.get()), {}, {}, {}, {}}; }

// The descriptor closes only once no operation of the kernel's uses it.
void UringConnection::finish_if_idle() {
    if (receiving_ || out_) return;
    if (copy_size_ > Buffer::kKeptWhenEmpty) give_back_copy();
    loop_.destroy(*this);  // freed after this turn (destroy() finds it by its descriptor)
    fd_.reset();
}

}  // namespace echomux::uring
