// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/tls_connection.hpp"

#include "echomux/core/tls_context.hpp"
#include "echomux/util/log.hpp"
#include "echomux/util/printable.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace echomux {
namespace {

// A certificate's subject as RFC 2253 writes it ("CN=client,O=example"), escaped, bounded.
std::string subject_of(X509* certificate) {
    if (!certificate) return "";
    BIO* out = BIO_new(BIO_s_mem());
    if (!out) return "";
    X509_NAME_print_ex(out, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* text = nullptr;
    const long n = BIO_get_mem_data(out, &text);
    std::string subject(text ? text : "", n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), 256) : 0);
    BIO_free(out);
    return printable(subject);
}

// Why a handshake failed, as echomux_tls_handshakes_total{result} counts it: a client
// certificate missing (required) or not verified is the client's credentials, not its TLS.
Counter Stats::*failure_result(SSL* ssl, unsigned long code) {
    const int reason = ERR_GET_REASON(code);
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE || reason == SSL_R_CERTIFICATE_VERIFY_FAILED ||
        SSL_get_verify_result(ssl) != X509_V_OK)
        return &Stats::tls_handshakes_client_cert_refused;
    return &Stats::tls_handshakes_protocol_error;
}

}  // namespace

TlsConnection::TlsConnection(Service& service, Transport& lower, std::shared_ptr<const TlsContext> context)
    : service_(service), lower_(lower), context_(std::move(context)), ssl_(SSL_new(context_->get())),
      inner_(service, *this, ProxyProtocol::off),
      header_(service.config().proxy_protocol) {
    if (!ssl_) throw std::bad_alloc();
    BIO* bio = make_bio();
    if (!bio) {
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL takes our reference
    SSL_set_accept_state(ssl_);
}

TlsConnection::~TlsConnection() {
    stop_waiting();
    if (awaiting_header_) service_.header_done(header_slot_);
    SSL_free(ssl_);
}

Next TlsConnection::start() {
    return guarded([&] {
        started_us_ = service_.now_us();
        if (service_.config().proxy_protocol == ProxyProtocol::off) {
            await_handshake();
        } else {
            awaiting_header_ = true;
            header_slot_ = service_.await_header(*this);
        }
        return Next::wait;
    });
}

void TlsConnection::await_handshake() {
    handshake_slot_ = service_.await_handshake(*this);
    waiting_ = true;
}

// The PROXY header, as a plaintext Connection reads it; then the client's TLS.
Next TlsConnection::take_header(char* bytes, std::size_t n) {
    const Next next = header_outcome(header_.take(bytes, n));
    if (awaiting_header_ || next == Next::close) return next;
    return resume();  // what followed the header: the ClientHello, or part of it
}

Next TlsConnection::header_outcome(ProxyHeaderReader::Outcome outcome) {
    switch (outcome) {
        case ProxyHeaderReader::Outcome::more: return Next::wait;
        case ProxyHeaderReader::Outcome::gone: return Next::close;
        case ProxyHeaderReader::Outcome::refused:
            service_.proxy_error(header_.reason(), lower_.endpoints().peer, header_.detail());
            handshaking_ = false;  // never began: not a handshake's result
            return inner_.end_for(Connection::End::proxy_error);
        case ProxyHeaderReader::Outcome::done: break;
    }
    if (header_.header_seen()) service_.stats().proxy_headers.add();
    proxy_client_ = header_.client();
    held_ = header_.take_rest();
    service_.header_done(header_slot_);
    awaiting_header_ = false;
    await_handshake();
    return Next::wait;
}

// No memory for this client's buffers: end this connection, not the loop (as Connection does).
template <class Step>
Next TlsConnection::guarded(Step step) {
    if (inner_.closed()) return Next::close;
    try {
        return step();
    } catch (const std::bad_alloc&) {
        return inner_.failed(ENOMEM);
    }
}

void TlsConnection::stop_waiting() {
    if (waiting_) service_.handshake_done(handshake_slot_);
    waiting_ = false;
}

Next TlsConnection::received(char* bytes, std::size_t n) {
    return guarded([&] {
        if (awaiting_header_) return take_header(bytes, n);
        if (held_.empty()) return feed(bytes, n);
        held_.append(bytes, n);  // behind what waits already
        return resume();
    });
}

Next TlsConnection::resume() {
    return guarded([&] {
        std::string source;
        source.swap(held_);
        const Next next = feed(source.data(), source.size());
        // Or the connection inside asked for the call (a fault timer: delayed bytes may go).
        if (next == Next::wait && !awaiting_header_ && !handshaking_ && !inner_.closed()) return inner_.resume();
        return next;
    });
}

// The BIO reads from [bytes, bytes + n) while OpenSSL runs; what it leaves is held.
Next TlsConnection::feed(const char* bytes, std::size_t n) {
    in_ = bytes;
    in_size_ = n;
    const Next next = pump();
    if (in_size_ > 0 && !inner_.closed()) held_.assign(in_, in_size_);
    in_size_ = 0;
    return next;
}

Next TlsConnection::pump() {
    if (handshaking_) {
        const Next next = handshake();
        if (next != Next::wait || handshaking_) return next;
    }
    bool starved = false;  // OpenSSL has read all there is and needs more
    for (;;) {
        if (inner_.closed()) return Next::close;
        const std::size_t room = std::min(inner_.read_room(), service_.tls_scratch_size());
        if (room == 0) break;  // backpressure: ciphertext stays held, plaintext in OpenSSL
        std::size_t got = 0;
        const int result = SSL_read_ex(ssl_, service_.tls_scratch(), room, &got);
        if (result == 1) {
            const Next next = inner_.received(service_.tls_scratch(), got);
            if (next != Next::wait) return next;
            continue;
        }
        const int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_READ) {
            starved = true;
            break;
        }
        if (error == SSL_ERROR_ZERO_RETURN) {  // close_notify: echo what came, then ours
            eof_told_ = true;
            return inner_.peer_closed();
        }
        ERR_clear_error();
        log::debug("TLS record error from ", lower_.endpoints().peer);
        return inner_.end_for(Connection::End::tls_error);
    }
    if (error_ != 0) return inner_.failed(error_);
    // A FIN with no close_notify: once every whole record before it is in, the same as one
    // (half a record before a FIN never completes: it is dropped).
    if (peer_eof_ && !eof_told_ && starved && in_size_ == 0 && held_.empty()) {
        eof_told_ = true;
        return inner_.peer_closed();
    }
    return Next::wait;
}

Next TlsConnection::handshake() {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
        handshaking_ = false;
        stop_waiting();
        Stats& stats = service_.stats();
        stats.tls_handshakes_ok.add();
        (SSL_version(ssl_) == TLS1_3_VERSION ? stats.tls_connections_v1_3 : stats.tls_connections_v1_2).add();
        stats.tls_handshake_us.observe(static_cast<std::uint64_t>(std::max(0LL, service_.now_us() - started_us_)));
        if (error_ != 0) return inner_.failed(error_);
        return inner_.start();  // the greeting goes out through SSL_write
    }
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ) return error_ != 0 ? inner_.failed(error_) : Next::wait;
    return handshake_failed(failure_result(ssl_, ERR_peek_last_error()));
}

// The addresses, and once the handshake is done what it said about the client.
Endpoints TlsConnection::endpoints() const {
    Endpoints who = lower_.endpoints();
    if (!proxy_client_.empty()) who.peer = proxy_client_;
    if (!SSL_is_init_finished(ssl_)) return who;  // still shaking hands, or it failed
    const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    who.sni = sni ? printable(sni) : "";
    who.tls_version = SSL_get_version(ssl_);
    X509* certificate = SSL_get1_peer_certificate(ssl_);
    who.client_subject = subject_of(certificate);
    X509_free(certificate);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
    if (alpn) who.alpn = printable(std::string(reinterpret_cast<const char*>(alpn), alpn_length));
    return who;
}

Next TlsConnection::handshake_failed(Counter Stats::*result) {
    const unsigned long code = ERR_peek_last_error();
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    log::debug("TLS handshake with ", lower_.endpoints().peer, " failed: ", reason ? reason : "the client left");
    ERR_clear_error();
    (service_.stats().*result).add();
    handshaking_ = false;
    stop_waiting();
    return inner_.end_for(Connection::End::tls_error);
}

void TlsConnection::expire(Expiry why) {
    if (why == Expiry::header) {  // optional: what came is the client's TLS
        if (header_outcome(header_.timed_out()) == Next::close) inner_.close();
        else lower_.call_soon();
        return;
    }
    handshake_failed(&Stats::tls_handshakes_timeout);
    inner_.close();
}

Next TlsConnection::peer_closed() {
    if (awaiting_header_) {
        const Next next = header_outcome(header_.peer_closed());
        if (next == Next::close) return next;
    }
    if (handshaking_) return handshake_failed(&Stats::tls_handshakes_abandoned);
    peer_eof_ = true;
    return resume();
}

Next TlsConnection::writable() {
    return guarded([&] { return flush_and_write(); });
}

Next TlsConnection::flush_and_write() {
    const bool was_paused = !backlog_.empty();
    if (!flush()) return inner_.failed(error_);
    if (!backlog_.empty()) return Next::wait;  // the rest when the transport drains
    finish_write();
    if (inner_.closed()) return Next::close;
    const Next next = handshaking_ ? Next::wait : inner_.writable();
    if (next != Next::wait) return next;
    // Room came: ciphertext held for lack of it is read now; and reading paused for the
    // backlog resumes with no new readiness to say so (edge-triggered loops).
    if (!handshaking_ && holding() && inner_.read_room() > 0) return Next::again;
    if (was_paused && read_room() > 0) return Next::again;
    return Next::wait;
}

// Reading pauses while ciphertext waits to go out (the client does not read what its own
// records make us send: handshake flights, alerts, KeyUpdate answers) or is held: the TLS
// layer's backpressure, so what it holds stays bounded. And never read interest without room:
// a level-triggered loop would spin on it.
Interest TlsConnection::interest() const {
    Interest want = handshaking_ ? Interest{true, false} : inner_.interest();
    if (read_room() == 0) want.read = false;
    if (!backlog_.empty() || fin_after_backlog_) want.write = true;
    return want;
}

std::size_t TlsConnection::read_room() const {
    if (!held_.empty() || !backlog_.empty() || inner_.closed() || peer_eof_) return 0;
    if (awaiting_header_) return std::min(header_.room(), service_.read_size());
    if (handshaking_) return std::min(kTlsRecordBytes, service_.read_size());
    return inner_.read_room();
}

// Ciphertext not read yet, plaintext OpenSSL decrypted but has not handed over, or a FIN
// not passed on behind them.
bool TlsConnection::holding() const {
    if (!held_.empty()) return true;
    return !handshaking_ && (SSL_has_pending(ssl_) || (peer_eof_ && !eof_told_));
}

// A record at a time while the lower transport takes them all: taking less than asked must
// mean the transport is full (a writable() will come), never that a record was written, or an
// edge-triggered loop would wait for readiness that never changes.
long TlsConnection::send(const char* bytes, std::size_t n) {
    std::size_t taken = 0;
    while (taken < n) {
        if (!flush()) return -error_;
        if (!backlog_.empty()) break;  // the transport is full: writable() comes when it drains
        std::size_t written = 0;
        if (SSL_write_ex(ssl_, bytes + taken, std::min(n - taken, kTlsRecordBytes), &written) != 1) {
            ERR_clear_error();
            return -(error_ != 0 ? error_ : EPROTO);
        }
        taken += written;
    }
    if (error_ != 0) return -error_;
    return static_cast<long>(taken);
}

void TlsConnection::shutdown_write() {
    SSL_shutdown(ssl_);  // our close_notify, through the BIO
    ERR_clear_error();
    fin_after_backlog_ = true;
    finish_write();
}

// Our FIN, once the close_notify before it is out of the backlog and off the lower transport
// (a completion transport's send may still be in flight).
void TlsConnection::finish_write() {
    if (!fin_after_backlog_ || !backlog_.empty() || error_ != 0 || !lower_.flushed()) return;
    fin_after_backlog_ = false;
    lower_.shutdown_write();
}

void TlsConnection::let_go() {
    if (awaiting_header_) {
        service_.header_done(header_slot_);
        awaiting_header_ = false;
        handshaking_ = false;  // never began
    }
    // Ended by the service mid-handshake (drain, idle): every handshake has a result.
    if (handshaking_) {
        handshaking_ = false;
        service_.stats().tls_handshakes_abandoned.add();
    }
    released_ = true;
    stop_waiting();
}

void TlsConnection::release() {
    let_go();
    lower_.release();
}

void TlsConnection::abort() {
    let_go();
    lower_.abort();
}

bool TlsConnection::flush() {
    while (!backlog_.empty() && error_ == 0) {
        const long sent = lower_.send(backlog_.data(), backlog_.size());
        if (sent < 0) error_ = static_cast<int>(-sent);
        if (sent <= 0) break;
        backlog_.erase(0, static_cast<std::size_t>(sent));
    }
    if (backlog_.empty() && backlog_.capacity() > kTlsRecordBytes) std::string().swap(backlog_);
    return error_ == 0;
}

}  // namespace echomux
