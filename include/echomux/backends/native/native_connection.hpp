// SPDX-License-Identifier: BSL-1.0
// One connection on a native backend: owns the fd, keeps the selector registration in
// line with Connection::interest(), and turns ready events into on_read / on_write.
#pragma once

#include "echomux/core/connection.hpp"
#include "echomux/util/fd.hpp"
#include "echomux/backends/native/selector.hpp"

namespace echomux::native {

class NativeLoop;

class NativeConnection final : public Connection, public Handler {
public:
    NativeConnection(NativeLoop& loop, Service& service, Fd fd);
    void on_events(unsigned events) override;

private:
    Next watch(Interest want);
    void release() override;
    void call_soon() override;
    static unsigned selector_events(Interest interest);

    NativeLoop& loop_;
    Fd fd_;
    Interest watched_;
};

}  // namespace echomux::native
