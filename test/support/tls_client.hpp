// SPDX-License-Identifier: BSL-1.0
// A blocking TLS client for the tests (OpenSSL over a connected socket): verifies the
// server against a CA file, sends SNI, and reports what the handshake and the reads saw.
#pragma once

#include "echomux/util/fd.hpp"

#include <string>
#include <utility>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace echomux::test {

// A throwaway CA and certificates for localhost, 127.0.0.1 and ::1 (scripts/tls-certs.sh),
// made once per test program: ca.pem, server.pem, server.key, client.pem, client.key.
const std::string& tls_cert_dir();

struct TlsOptions {
    std::string ca_file;            // verify the server against it (empty: no verification)
    std::string server_name = "localhost";  // SNI and the name checked
    int max_version = 0;            // e.g. TLS1_2_VERSION; 0 = the library's highest
    int receive_buffer = 0;         // SO_RCVBUF before connect (a small window); 0 = the default
    std::string cert_file, key_file;  // a client certificate (PEM); empty = none
    std::string alpn;                 // protocols offered, comma-separated; empty = no ALPN
    std::string preamble;             // plaintext sent before the handshake (a PROXY header)
};

// Verifying the server against CA_FILE as "localhost", the rest the defaults.
inline TlsOptions verified_by(std::string ca_file, int max_version = 0, int receive_buffer = 0) {
    TlsOptions options;
    options.ca_file = std::move(ca_file);
    options.max_version = max_version;
    options.receive_buffer = receive_buffer;
    return options;
}

class TlsClient {
public:
    TlsClient(int port, const TlsOptions& options);  // connects and runs the handshake
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    bool handshake_ok() const { return ok_; }
    const std::string& error() const { return error_; }  // why the handshake failed
    std::string version() const;                          // "TLSv1.3"
    std::string alpn() const;                             // what the server agreed on, or ""
    int fd() const { return socket_.get(); }

    bool write_all(const std::string& bytes);
    // Up to n bytes, until n or the peer's close_notify/EOF (a receive timeout ends it too).
    std::string read_exact(std::size_t n);
    // Everything until close_notify; `clean` says whether it came (not a bare FIN or an error).
    std::string read_to_end(bool* clean = nullptr);
    void close_notify();  // our close_notify (half-close: we may still read)
    // Sends `bytes` and our close_notify while reading whatever comes back, in one thread
    // (an SSL object is no place for a reader and a writer thread), until the server's
    // close_notify or EOF; `clean` says whether its close_notify came. Bounded: 60 s.
    std::string exchange(const std::string& bytes, bool* clean);
    // TLS 1.3 KeyUpdate requests (each asks the server for one back), never reading, for up to
    // `seconds`: how many went out, and whether the server stopped reading (no room for a
    // second in a small send buffer).
    struct Flood {
        long sent = 0;
        bool blocked = false;
    };
    Flood key_update_flood(double seconds);

private:
    SSL_CTX* context_ = nullptr;
    SSL* ssl_ = nullptr;
    Fd socket_;
    bool ok_ = false;
    std::string error_;
};

}  // namespace echomux::test
