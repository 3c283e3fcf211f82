// SPDX-License-Identifier: BSL-1.0
// Opens the connections of a TCP run: connected, non-blocking, Nagle off, and with --tls
// through a TLS handshake (blocking, bounded by --stall-timeout). With
// --greeting-lines auto the first connection probes (tools/greeting.hpp) and every later one
// expects that many lines. Greetings are not read here but taken from the head of what each
// connection receives (tools::GreetingSkip): a server may greet late (PROXY protocol
// optional waits for the header), never after the first echo.
#pragma once

#include "load.hpp"

#include "tools/stream.hpp"
#include "tools/tls_stream.hpp"

#include "echomux/util/socket_address.hpp"

#include <memory>
#include <string>
#include <vector>

namespace echomux::bench {

class Greeter {
public:
    explicit Greeter(const Workload& w);
    struct Opened {
        std::unique_ptr<tools::Stream> stream;
        int greeting_lines = 0;  // still to come before the first reply byte
    };
    // To the first of the host's addresses that accepts (later ones go where it went).
    // Throws std::runtime_error when it cannot connect or probe.
    Opened open();
    int lines() const { return lines_; }  // after the first open()
    const std::vector<std::string>& probed_greeting() const { return probed_; }  // auto only
    const SocketAddress& address() const { return addresses_[at_]; }
    const tools::TlsContext* tls() const { return tls_.get(); }  // null: plaintext
    const std::string& tls_description() const { return tls_description_; }  // after the first open()

private:
    const Workload& w_;
    std::vector<SocketAddress> addresses_;
    std::size_t at_ = 0;
    int lines_ = -1;  // -1: auto, not probed yet
    std::vector<std::string> probed_;
    std::unique_ptr<tools::TlsContext> tls_;
    std::string tls_description_;
};

}  // namespace echomux::bench
