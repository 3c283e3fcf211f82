// SPDX-License-Identifier: BSL-1.0
// What the TLS fuzz target needs from OpenSSL besides echomux: randomness that repeats (so an
// input replays to the same bytes, as OpenSSL's own fuzzers arrange), a throwaway server
// certificate made in memory at start (no private key is committed or written to disk: the
// PEM lives in a memfd that TlsContext opens as /proc/self/fd/N), and the client's context.
#pragma once

#define OPENSSL_SUPPRESS_DEPRECATED  // RAND_set_rand_method: the one way to make RAND_bytes repeat
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace echomux::fuzz {

// splitmix64 from a fixed seed, restarted for every input: the same input, the same bytes.
struct RepeatableRandom {
    static std::uint64_t& state() {
        static std::uint64_t s = 0;
        return s;
    }
    static void restart() { state() = 0x9e3779b97f4a7c15ull; }
    static int bytes(unsigned char* out, int n) {
        for (int i = 0; i < n; ++i) {
            std::uint64_t z = (state() += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            out[i] = static_cast<unsigned char>(z ^ (z >> 31));
        }
        return 1;
    }
    static int status() { return 1; }
    static void install() {
        static RAND_METHOD method{nullptr, bytes, nullptr, nullptr, bytes, status};
        restart();
        if (RAND_set_rand_method(&method) != 1) throw std::runtime_error("RAND_set_rand_method");
    }
};

// A P-256 key and a self-signed certificate for localhost, as one PEM file in memory; the
// path TlsContext reads it from. Made once per process (after RepeatableRandom::install()).
inline std::string throwaway_certificate_path() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* certificate = X509_new();
    if (!key || !certificate) throw std::runtime_error("throwaway certificate: out of memory");
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    // Fixed dates, as the key is from the repeatable randomness: the same certificate in every process.
    ASN1_TIME_set_string(X509_getm_notBefore(certificate), "20260101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(certificate), "20991231000000Z");
    X509_set_pubkey(certificate, key);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(certificate, name);
    if (X509_sign(certificate, key, EVP_sha256()) == 0) throw std::runtime_error("throwaway certificate: signing");
    BIO* pem = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(pem, certificate);
    PEM_write_bio_PrivateKey(pem, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* text = nullptr;
    const long n = BIO_get_mem_data(pem, &text);
    const int fd = memfd_create("echomux-fuzz-cert", 0);  // kept open: the path is the fd
    if (fd < 0 || n <= 0 || write(fd, text, static_cast<std::size_t>(n)) != n)
        throw std::runtime_error("throwaway certificate: memfd");
    BIO_free(pem);
    X509_free(certificate);
    EVP_PKEY_free(key);
    return "/proc/self/fd/" + std::to_string(fd);
}

// The client: no verification (the certificate is throwaway), SNI localhost, up to `max_version`.
inline SSL* new_client(SSL_CTX* context, int max_version, bool offer_alpn) {
    SSL* ssl = SSL_new(context);
    if (!ssl) throw std::runtime_error("SSL_new");
    SSL_set_max_proto_version(ssl, max_version);
    SSL_set_tlsext_host_name(ssl, "localhost");
    static const unsigned char alpn[] = "\x04" "echo" "\x02" "h2";
    if (offer_alpn) SSL_set_alpn_protos(ssl, alpn, sizeof alpn - 1);
    SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));  // rbio: what the server sent; wbio: to it
    SSL_set_connect_state(ssl);
    return ssl;
}

inline SSL_CTX* client_context() {
    static SSL_CTX* const context = [] {
        SSL_CTX* c = SSL_CTX_new(TLS_client_method());
        if (!c) throw std::runtime_error("SSL_CTX_new");
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        return c;
    }();
    return context;
}

}  // namespace echomux::fuzz
