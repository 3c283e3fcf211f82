// SPDX-License-Identifier: BSL-1.0
// TLS for echomux-client and echomux-bench: a client context made once from the --tls
// options, and a Stream that runs OpenSSL directly over a connected socket, blocking or not.
// Every handshake is a full one: sessions are never cached or offered again (no resumption),
// so a handshake-rate run measures the full cost.
#pragma once

#include "tools/stream.hpp"
#include "tools/tls_options.hpp"

#include <memory>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace echomux::tools {

class TlsStream final : public Stream {
public:
    TlsStream(SSL* ssl, Fd fd);  // takes both
    ~TlsStream() override;
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    // On a blocking socket (a send timeout bounds it): the handshake now; throws
    // std::runtime_error with OpenSSL's reason. Without it, the first send or receive runs
    // the handshake (non-blocking: EAGAIN, waits_for() says on what).
    void handshake();
    // "TLSv1.3 TLS_AES_256_GCM_SHA384": what the handshake agreed.
    std::string description() const;

    int fd() const override { return fd_.get(); }
    ssize_t send(const char* data, std::size_t n) override;
    // Reads on while whole records are already in memory, so that less than `n` means
    // nothing more can be had without the descriptor becoming readable.
    ssize_t receive(char* data, std::size_t n) override;
    void shutdown_write() override;  // our close_notify, then FIN
    Wait waits_for() const override { return wait_; }
    bool buffered() const override;
    std::string why(int error) const override;

private:
    ssize_t failed(int result, bool receiving);

    SSL* ssl_;
    Fd fd_;
    Wait wait_ = Wait::read;
    std::string error_;  // OpenSSL's reason for the last EPROTO
};

class TlsContext {
public:
    // Throws std::runtime_error naming the file and the reason (--tls-ca, --tls-cert, --tls-key).
    explicit TlsContext(const TlsOptions& options);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // A TLS stream to `host` over `connected`: SNI and the name checked are --tls-sni, else
    // `host` (an IP address is checked against the certificate's IP addresses, and sent as no SNI).
    std::unique_ptr<TlsStream> stream(Fd connected, const std::string& host) const;

private:
    SSL_CTX* context_;
    TlsOptions options_;
};

// A TLS stream when `tls` is set (its handshake run now, on a blocking socket), else plaintext.
std::unique_ptr<Stream> open_stream(Fd connected, const TlsContext* tls, const std::string& host);

}  // namespace echomux::tools
