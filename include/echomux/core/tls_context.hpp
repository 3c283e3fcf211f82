// SPDX-License-Identifier: BSL-1.0
// The TLS settings new handshakes use (OpenSSL's SSL_CTX): certificate chain and key from
// PEM files, the lowest version, ALPN, client certificates, no renegotiation. Loading
// refuses, with the file and the reason, a file that is missing or not PEM and a key that
// does not match the certificate.
#pragma once

#include "echomux/core/config.hpp"

#include <cstddef>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace echomux {

// The most plaintext one TLS record holds (2^14): a session's decrypt buffer, one SSL_write,
// and the most it reads at once during the handshake.
constexpr std::size_t kTlsRecordBytes = 16 * 1024;

class TlsContext {
public:
    explicit TlsContext(const Config& config);  // throws std::runtime_error
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const { return context_; }
    // The certificate's notAfter, seconds since the epoch (a gauge an alert can watch).
    long long not_after() const { return not_after_; }
    // "expires in 3 days" and the like, or "" (a warning at start, not a refusal).
    const std::string& expiry_warning() const { return expiry_warning_; }
    const std::string& alpn_wire() const { return alpn_wire_; }  // tls_alpn as ALPN writes it

private:
    void verify_clients(const Config& config);

    SSL_CTX* context_;
    std::string alpn_wire_;
    long long not_after_ = 0;
    std::string expiry_warning_;
};

}  // namespace echomux
