// SPDX-License-Identifier: BSL-1.0
// One connection on a native backend: owns the fd and the protocol core's Session,
// keeps the selector registration in line with its interest(), and turns ready events
// into on_read / on_write.
#pragma once

#include "echomux/backends/native/selector.hpp"
#include "echomux/backends/socket_transport.hpp"
#include "echomux/core/session.hpp"
#include "echomux/util/fd.hpp"

#include <memory>

namespace echomux::native {

class NativeLoop;

class NativeConnection final : public Handler, private SocketTransport {
public:
    NativeConnection(NativeLoop& loop, Service& service, Fd fd);
    void start();  // once registered: the greeting, or the wait for a PROXY header
    void on_events(unsigned events) override;
    using SocketTransport::fd;

private:

    void follow(Next next);  // after the core answered: come back soon, watch, or close
    Next watch(Interest want);
    void release() override;
    void call_soon() override;
    static unsigned selector_events(Interest interest);

    NativeLoop& loop_;
    Fd fd_;
    std::unique_ptr<Session> session_;
    Interest watched_{true, false};
};

}  // namespace echomux::native
