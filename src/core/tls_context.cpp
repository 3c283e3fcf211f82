// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace echomux {
namespace {

// OpenSSL's reason for the last failure, one line ("no start line", "key values mismatch").
std::string openssl_reason() {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) return "unknown error";
    const char* reason = ERR_reason_error_string(code);
    return reason ? reason : "error " + std::to_string(code);
}

long long seconds_since_epoch(const ASN1_TIME* time) {
    tm parts{};
    if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
    return static_cast<long long>(timegm(&parts));
}

// "h2,http/1.1" as ALPN's wire format: each name after its length byte.
std::string wire_format(const std::string& list) {
    std::string wire;
    std::string::size_type start = 0;
    while (start < list.size()) {
        const auto end = std::min(list.find(',', start), list.size());
        wire += static_cast<char>(end - start);
        wire.append(list, start, end - start);
        start = end + 1;
    }
    return wire;
}

// The server's preference first (SSL_select_next_proto walks the server's list); a client
// that offers ALPN but none of ours gets no_application_protocol (RFC 7301 section 3.2).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void* context) {
    const std::string& ours = static_cast<const TlsContext*>(context)->alpn_wire();
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_length, reinterpret_cast<const unsigned char*>(ours.data()),
                              static_cast<unsigned int>(ours.size()), offered, offered_length) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContext::TlsContext(const Config& config) : context_(SSL_CTX_new(TLS_server_method())) {
    if (!context_) throw std::runtime_error("TLS: cannot make a context: " + openssl_reason());
    const std::string key = config.tls_key.empty() ? config.tls_cert : config.tls_key;
    try {
        if (SSL_CTX_use_certificate_chain_file(context_, config.tls_cert.c_str()) != 1)
            throw std::runtime_error("tls_cert " + config.tls_cert + ": " + openssl_reason());
        if (SSL_CTX_use_PrivateKey_file(context_, key.c_str(), SSL_FILETYPE_PEM) != 1)
            throw std::runtime_error("tls_key " + key + ": " + openssl_reason());
        if (SSL_CTX_check_private_key(context_) != 1)
            throw std::runtime_error("tls_key " + key + " does not match tls_cert " + config.tls_cert);
        if (config.tls_client_auth != TlsClientAuth::off) verify_clients(config);
    } catch (...) {
        SSL_CTX_free(context_);
        throw;
    }
    SSL_CTX_set_min_proto_version(context_, config.tls_min_version == TlsVersion::v1_3 ? TLS1_3_VERSION
                                                                                       : TLS1_2_VERSION);
    // Renegotiation is a client's way to make the server do handshake work at will.
    SSL_CTX_set_options(context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Buffers only while a connection has bytes on their way: idle TLS connections cost the
    // SSL object alone. Writes of one record at a time, from a buffer that may move.
    SSL_CTX_set_mode(context_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                   SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // No resumption: each handshake is a full one. No cache, no TLS 1.3 tickets, and no TLS 1.2
    // tickets either (SSL_OP_NO_TICKET: num_tickets is TLS 1.3's alone; the fuzz target found
    // TLS 1.2 sessions resumed, and the wall-clock time in each ticket).
    SSL_CTX_set_session_cache_mode(context_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(context_, 0);
    SSL_CTX_set_options(context_, SSL_OP_NO_TICKET);
    alpn_wire_ = wire_format(config.tls_alpn);
    if (!alpn_wire_.empty()) SSL_CTX_set_alpn_select_cb(context_, select_alpn, this);
    const X509* certificate = SSL_CTX_get0_certificate(context_);
    not_after_ = seconds_since_epoch(certificate ? X509_get0_notAfter(certificate) : nullptr);
    const long long now = static_cast<long long>(std::time(nullptr));
    if (not_after_ != 0 && not_after_ < now)
        expiry_warning_ = "tls_cert " + config.tls_cert + " has expired";
    else if (not_after_ != 0 && not_after_ - now < 7 * 86400)
        expiry_warning_ = "tls_cert " + config.tls_cert + " expires in " + std::to_string((not_after_ - now) / 3600) +
                          " hours";
}

// Client certificates verified against tls_client_ca (whose names the server lists in its
// CertificateRequest); with required, a client without one fails the handshake.
void TlsContext::verify_clients(const Config& config) {
    if (SSL_CTX_load_verify_locations(context_, config.tls_client_ca.c_str(), nullptr) != 1)
        throw std::runtime_error("tls_client_ca " + config.tls_client_ca + ": " + openssl_reason());
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.tls_client_ca.c_str());
    if (!names) throw std::runtime_error("tls_client_ca " + config.tls_client_ca + ": no CA certificate in it");
    SSL_CTX_set_client_CA_list(context_, names);
    const int required = config.tls_client_auth == TlsClientAuth::required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0;
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER | required, nullptr);
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

}  // namespace echomux
