// SPDX-License-Identifier: BSL-1.0
// The protocol core on a transport the test drives by hand, as io_uring drives it: one send
// in flight at a time, of at most `most` bytes, completed when the test says so. No socket.
#pragma once

#include "echomux/core/connection.hpp"
#include "echomux/core/transport.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace echomux::test {

struct CompletionTransport final : Transport {
    explicit CompletionTransport(std::size_t most = SIZE_MAX) : most(most) {}
    long send(const char* bytes, std::size_t n) override {
        if (in_flight) return 0;
        in_flight = std::min(n, most);
        wire.append(bytes, in_flight);
        return static_cast<long>(in_flight);
    }
    bool flushed() const override { return in_flight == 0; }
    void shutdown_write() override { fin = true; }
    void release() override { released = true; }
    void abort() override { released = aborted = true; }
    void call_soon() override { called_soon = true; }
    Endpoints endpoints() const override { return {"192.0.2.1:5000", "192.0.2.2:7007", {}, {}, {}, {}}; }

    std::size_t most;
    std::size_t in_flight = 0;
    bool fin = false, released = false, aborted = false, called_soon = false;
    std::string wire;  // what the transport was given, in order
};

struct CompletionConnection {
    explicit CompletionConnection(Service& service, std::size_t most = SIZE_MAX)
        : transport(most), connection(service, transport) {}
    Connection::Next complete_send() {
        transport.in_flight = 0;
        return connection.writable();
    }
    Connection::Next receive(std::string bytes) { return connection.received(bytes.data(), bytes.size()); }
    CompletionTransport transport;
    Connection connection;
};

}  // namespace echomux::test
