// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/proxy_header_reader.hpp"

namespace echomux {

ProxyHeaderReader::Outcome ProxyHeaderReader::take(const char* bytes, std::size_t n) {
    bytes_.append(bytes, n);
    const proxy::Header header = proxy::parse(bytes_.data(), bytes_.size());
    switch (header.status) {
        case proxy::Status::incomplete:
            return Outcome::more;
        case proxy::Status::invalid:
            return refuse(header.error == proxy::Error::oversized ? &Stats::proxy_oversized : &Stats::proxy_malformed,
                          header.detail);
        case proxy::Status::not_proxy:
            if (mode_ == ProxyProtocol::required)
                return refuse(&Stats::proxy_missing, "no PROXY header (proxy_protocol = required)");
            return Outcome::done;  // optional: every byte is the client's
        case proxy::Status::complete:
            header_seen_ = true;
            client_ = header.client;
            bytes_.erase(0, header.length);
            return Outcome::done;
    }
    return Outcome::more;
}

ProxyHeaderReader::Outcome ProxyHeaderReader::timed_out() {
    if (mode_ == ProxyProtocol::required) return refuse(&Stats::proxy_timeout, "no whole header within proxy_header_timeout");
    return Outcome::done;
}

ProxyHeaderReader::Outcome ProxyHeaderReader::peer_closed() {
    if (mode_ != ProxyProtocol::required) return Outcome::done;
    if (bytes_.empty()) return Outcome::gone;
    return refuse(&Stats::proxy_truncated, "the connection ended inside the header");
}

std::string ProxyHeaderReader::take_rest() {
    std::string rest;
    rest.swap(bytes_);
    return rest;
}

ProxyHeaderReader::Outcome ProxyHeaderReader::refuse(Counter Stats::*reason, std::string detail) {
    reason_ = reason;
    detail_ = std::move(detail);
    return Outcome::refused;
}

}  // namespace echomux
