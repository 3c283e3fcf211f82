// SPDX-License-Identifier: BSL-1.0
// A connection of the io_uring loop: the transport under the protocol core. One receive
// at a time into the loop's provided buffers, sized to the core's room (none while it has
// none), at most one send in flight: of what came in, straight from the receive buffer,
// which goes back to the ring when the send completes, else (the ring has no buffer to
// spare, or the bytes are ones the core held) from the connection's one send copy, reused
// send after send. Nothing is freed or closed while the kernel still holds an operation of
// it: release() cancels them, and the object goes once the last completes.
//
// What a connection holds at most: the core's max_buffer_bytes (plus what one receive
// brought that did not fit, as on every backend), and the send copy, 64 KiB while it sends
// (the bytes of the send in flight, which a readiness loop's kernel socket buffer would hold),
// 4 KiB once nothing is left to send (the 64 KiB one goes back to the loop's spares,
// SendCopies, at most 1 MiB). Receive buffers lent to sends are the loop's, not the
// connection's: at most half the ring, whatever the number of connections.
#pragma once

#include "echomux/core/session.hpp"
#include "echomux/core/transport.hpp"
#include "echomux/util/fd.hpp"
#include "echomux/backends/uring/completion.hpp"

#include <memory>

namespace echomux::uring {

class UringLoop;

class UringConnection final : private Transport {
public:
    UringConnection(UringLoop& loop, Service& service, Fd fd);
    void start();    // the greeting, or the wait for a PROXY header; the first receive
    void on_soon();  // call_soon()'s turn
    int fd() const { return fd_.get(); }

private:
    // A completion handler calling back one of our methods.
    struct Operation final : Completion {
        Operation(UringConnection& c, void (UringConnection::*method)(const io_uring_cqe&)) : c(c), method(method) {}
        void on_complete(const io_uring_cqe& cqe) override { (c.*method)(cqe); }
        UringConnection& c;
        void (UringConnection::*method)(const io_uring_cqe&);
    };

    long send(const char* bytes, std::size_t n) override;
    bool flushed() const override { return !out_; }
    void shutdown_write() override;
    void release() override;
    void abort() override;
    void call_soon() override;
    Endpoints endpoints() const override;

    void on_received(const io_uring_cqe& cqe);
    void on_sent(const io_uring_cqe& cqe);
    void follow(Next next);  // after the core answered: close, come back, receive or not
    void receive();
    void submit_send();
    void sent();  // the send in flight is over: its bytes go
    void give_back_copy();  // the 64 KiB send copy, to the loop's spares
    void finish_if_idle();

    UringLoop& loop_;
    Fd fd_;
    std::unique_ptr<Session> session_;
    Operation receive_{*this, &UringConnection::on_received};
    Operation send_{*this, &UringConnection::on_sent};
    bool receiving_ = false;     // a receive is in flight
    bool cancelling_ = false;    // ...and asked to stop (no room, or released)
    bool more_waiting_ = false;  // the last receive left bytes in the socket
    bool peer_done_ = false;   // EOF or a receive error: nothing more will arrive
    bool released_ = false;
    int arrived_ = -1;  // in on_received(): the ring buffer the bytes are in, unless a send keeps it
    const char* out_ = nullptr;  // what the send in flight sends; null while none is
    std::size_t out_sent_ = 0, out_size_ = 0;
    int lent_buffer_ = -1;          // ...out of this ring buffer,
    std::unique_ptr<char[]> copy_;  // or out of this copy, kept from send to send
    std::size_t copy_size_ = 0;     // 0, Buffer::kKeptWhenEmpty or 64 KiB (SendCopies)
};

}  // namespace echomux::uring
