// SPDX-License-Identifier: BSL-1.0
// The transport the core's fuzz targets drive (connection, tls): a completion transport as
// io_uring is (one send in flight, at most `most` bytes a send, completed when the script
// says; the shape of test/support/completion_transport.hpp), with what the checks need: a
// failing send, and a record of the state our FIN was sent in. Misuse is a failure.
#pragma once

#include "echomux/core/transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace echomux::fuzz {

[[noreturn]] inline void fail(const char* target, const char* what) {
    std::fprintf(stderr, "%s fuzz: %s\n", target, what);
    std::abort();
}

constexpr const char* kPeer = "192.0.2.1:5000";
constexpr const char* kLocal = "192.0.2.2:7007";

struct ScriptedTransport final : Transport {
    long send(const char* bytes, std::size_t n) override {
        if (fin || released) fail("transport", "send after our FIN or after release");
        if (n == 0) fail("transport", "a send of no bytes");
        if (fail_next) return -EPIPE;
        if (in_flight) return 0;
        in_flight = std::min(n, most);
        wire.append(bytes, in_flight);
        return static_cast<long>(in_flight);
    }
    bool flushed() const override { return in_flight == 0; }
    void shutdown_write() override {
        if (fin) fail("transport", "FIN sent twice");
        if (in_flight) fail("transport", "FIN sent while a send is in flight");
        fin = true;
        wire_at_fin = wire.size();
    }
    void release() override { released = true; }
    void abort() override { released = aborted = true; }  // an RST: a reset fault
    void call_soon() override { called_soon = true; }
    Endpoints endpoints() const override { return {kPeer, kLocal, "", "", "", ""}; }

    std::size_t most = SIZE_MAX;
    std::size_t in_flight = 0;
    bool fail_next = false, fin = false, released = false, aborted = false, called_soon = false;
    std::size_t wire_at_fin = 0;
    std::string wire;
};

}  // namespace echomux::fuzz
