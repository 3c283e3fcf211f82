// SPDX-License-Identifier: BSL-1.0
#include "tools/tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace echomux::tools {
namespace {

// The oldest error on the queue as one line, the queue emptied (a stale entry would make the
// next SSL_get_error wrong).
std::string openssl_reason() {
    const unsigned long code = ERR_peek_error();
    std::string reason = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown error"
                              : "the connection ended";
    ERR_clear_error();
    return reason;
}

bool is_ip_address(const std::string& host) {
    unsigned char address[16];
    return ::inet_pton(AF_INET, host.c_str(), address) == 1 || ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

std::string unbracketed(const std::string& host) {
    return host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
}

}  // namespace

TlsStream::TlsStream(SSL* ssl, Fd fd) : ssl_(ssl), fd_(std::move(fd)) {
    SSL_set_fd(ssl_, fd_.get());
    SSL_set_connect_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

void TlsStream::handshake() {
    const int result = SSL_connect(ssl_);
    if (result == 1) return;
    const int error = SSL_get_error(ssl_, result);
    const long verify = SSL_get_verify_result(ssl_);
    std::string why = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? "timed out"
                      : error == SSL_ERROR_SYSCALL && errno != 0                   ? std::strerror(errno)
                                                                                   : openssl_reason();
    if (verify != X509_V_OK)
        why += std::string(": ") + X509_verify_cert_error_string(verify) +
               " (--tls-ca names the CA that signed the server's certificate; --tls-sni the name in it)";
    ERR_clear_error();
    throw std::runtime_error("TLS handshake failed: " + why);
}

std::string TlsStream::description() const {
    return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

ssize_t TlsStream::send(const char* data, std::size_t n) {
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_, data, n, &written);
    if (result == 1) return static_cast<ssize_t>(written);
    return failed(result, false);
}

ssize_t TlsStream::receive(char* data, std::size_t n) {
    std::size_t total = 0;
    while (total < n) {
        std::size_t got = 0;
        const int result = SSL_read_ex(ssl_, data + total, n - total, &got);
        if (result != 1) {
            if (total > 0) {
                ERR_clear_error();  // what ended it (EAGAIN, a close) comes again at the next call
                break;
            }
            return failed(result, true);
        }
        total += got;
        // Only what is in memory: on a blocking socket another read would wait for more.
        if (!SSL_has_pending(ssl_)) break;
    }
    return static_cast<ssize_t>(total);
}

// SSL_get_error as send(2)/recv(2) would say it.
ssize_t TlsStream::failed(int result, bool receiving) {
    const int saved = errno;
    switch (SSL_get_error(ssl_, result)) {
        case SSL_ERROR_WANT_READ:
            wait_ = Wait::read;
            errno = EAGAIN;
            return -1;
        case SSL_ERROR_WANT_WRITE:
            wait_ = Wait::write;
            errno = EAGAIN;
            return -1;
        case SSL_ERROR_ZERO_RETURN:  // the server's close_notify
            if (receiving) return 0;
            errno = EPIPE;
            return -1;
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            if (saved != 0) {
                errno = saved;
                return -1;
            }
            if (receiving) return 0;  // a FIN without close_notify: the bytes are checked anyway
            errno = EPIPE;
            return -1;
        default: {
            const unsigned long code = ERR_peek_error();
            if (receiving && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                ERR_clear_error();
                return 0;
            }
            error_ = openssl_reason();
            const long verify = SSL_get_verify_result(ssl_);
            if (verify != X509_V_OK) error_ += std::string(": ") + X509_verify_cert_error_string(verify);
            errno = EPROTO;
            return -1;
        }
    }
}

void TlsStream::shutdown_write() {
    SSL_shutdown(ssl_);
    ERR_clear_error();
    ::shutdown(fd_.get(), SHUT_WR);
}

bool TlsStream::buffered() const { return SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_); }

std::string TlsStream::why(int error) const {
    return error == EPROTO && !error_.empty() ? "TLS: " + error_ : Stream::why(error);
}

TlsContext::TlsContext(const TlsOptions& o) : context_(SSL_CTX_new(TLS_client_method())), options_(o) {
    if (!context_) throw std::runtime_error("TLS: " + openssl_reason());
    // OpenSSL's socket BIO writes with write(2): a closed connection must be EPIPE, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
    if (o.max_version) SSL_CTX_set_max_proto_version(context_, o.max_version);
    // Every handshake a full one: nothing kept to resume with.
    SSL_CTX_set_session_cache_mode(context_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(context_, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    // Partial writes, so a full socket tells how much went; read-ahead, so a record costs one
    // read(2), not two (header, then body).
    SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(context_, 1);
    if (!o.insecure) {
        SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
        const bool loaded = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(context_) == 1
                                              : SSL_CTX_load_verify_locations(context_, o.ca_file.c_str(), nullptr) == 1;
        if (!loaded) {
            SSL_CTX_free(context_);
            throw std::runtime_error("--tls-ca " + o.ca_file + ": cannot load: " + openssl_reason());
        }
    }
    if (!o.cert_file.empty()) {
        const std::string key = o.key_file.empty() ? o.cert_file : o.key_file;
        std::string why;
        if (SSL_CTX_use_certificate_chain_file(context_, o.cert_file.c_str()) != 1)
            why = "--tls-cert " + o.cert_file + ": cannot load: " + openssl_reason();
        else if (SSL_CTX_use_PrivateKey_file(context_, key.c_str(), SSL_FILETYPE_PEM) != 1)
            why = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH
                      ? "--tls-key " + key + ": does not match --tls-cert " + o.cert_file
                      : "--tls-key " + key + ": cannot load: " + openssl_reason();
        else if (SSL_CTX_check_private_key(context_) != 1)
            why = "--tls-key " + key + ": does not match --tls-cert " + o.cert_file;
        if (!why.empty()) {
            ERR_clear_error();
            SSL_CTX_free(context_);
            throw std::runtime_error(why);
        }
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

std::unique_ptr<TlsStream> TlsContext::stream(Fd connected, const std::string& host) const {
    SSL* ssl = SSL_new(context_);
    if (!ssl) throw std::runtime_error("TLS: " + openssl_reason());
    auto stream = std::make_unique<TlsStream>(ssl, std::move(connected));
    const std::string name = options_.server_name.empty() ? unbracketed(host) : options_.server_name;
    if (!is_ip_address(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!options_.insecure) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (is_ip_address(name)) X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
        else SSL_set1_host(ssl, name.c_str());
    }
    return stream;
}

std::unique_ptr<Stream> open_stream(Fd connected, const TlsContext* tls, const std::string& host) {
    if (!tls) return plain_stream(std::move(connected));
    auto stream = tls->stream(std::move(connected), host);
    stream->handshake();
    return stream;
}

}  // namespace echomux::tools
