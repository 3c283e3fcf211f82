// SPDX-License-Identifier: BSL-1.0
// A PROXY header gathered before a connection's own bytes (proxy_protocol), in any
// fragmentation: the bytes so far in a small buffer (at most proxy::kMaxHeaderBytes),
// parsed from the first byte each time. Nothing of the client's is used before it is
// whole. The plaintext Connection reads it before its echo, a TlsConnection before its
// handshake (a load balancer sends PROXY, then the client's TLS).
#pragma once

#include "echomux/core/config.hpp"
#include "echomux/core/proxy_header.hpp"
#include "echomux/core/stats.hpp"

#include <cstddef>
#include <string>

namespace echomux {

class ProxyHeaderReader {
public:
    explicit ProxyHeaderReader(ProxyProtocol mode) : mode_(mode) {}

    enum class Outcome {
        more,     // every byte so far may begin a header: read more (at most room())
        done,     // the client is known: client(), then rest() are its bytes
        refused,  // the connection ends: reason() and detail() say why
        gone,     // required, and the client left before sending a byte (a health check): no error
    };
    Outcome take(const char* bytes, std::size_t n);
    // No whole header within proxy_header_timeout: refused (required), or what came is the
    // client's (optional: a client that sends nothing until it is greeted is served as is).
    Outcome timed_out();
    // The peer's FIN before a whole header: refused (required, with half a header), gone
    // (required, nothing sent), or what came is the client's (optional).
    Outcome peer_closed();

    std::size_t room() const { return proxy::kMaxHeaderBytes - bytes_.size(); }
    bool header_seen() const { return header_seen_; }  // done, with a valid header (counted)
    // done: the source the header names ("1.2.3.4:1111"); empty: the socket's own peer.
    const std::string& client() const { return client_; }
    // done: the bytes after the header, the client's own (the reader keeps none after).
    std::string take_rest();
    // refused: the counter it goes under (echomux_proxy_errors_total{reason}), and a short reason.
    Counter Stats::*reason() const { return reason_; }
    const std::string& detail() const { return detail_; }

private:
    Outcome refuse(Counter Stats::*reason, std::string detail);

    ProxyProtocol mode_;
    std::string bytes_;  // the header so far, then (done) what followed it
    std::string client_;
    bool header_seen_ = false;
    Counter Stats::*reason_ = nullptr;
    std::string detail_;
};

}  // namespace echomux
