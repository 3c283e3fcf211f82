// SPDX-License-Identifier: BSL-1.0
// A client under TLS: OpenSSL's state machine in front of a plaintext Connection, doing no
// I/O of its own. Its BIO reads the ciphertext the backend handed in and writes straight to
// the backend's transport (what that does not take waits here, at most a record and a
// handshake flight, since plaintext goes to OpenSSL only when nothing waits). So every
// backend serves TLS with the same code, and the bounds hold: max_buffer_bytes of plaintext
// in the Connection, at most one read of ciphertext held while the plaintext has no room,
// one record of plaintext inside OpenSSL. The handshake has its deadline in the Service
// (tls_handshake_timeout). Half-close as in plaintext: on the client's close_notify (or
// FIN) what came is echoed, then our close_notify, then our FIN.
#pragma once

#include "echomux/core/connection.hpp"
#include "echomux/core/proxy_header_reader.hpp"
#include "echomux/core/session.hpp"
#include "echomux/core/transport.hpp"

#include <memory>
#include <string>

typedef struct bio_st BIO;
typedef struct ssl_st SSL;

namespace echomux {

class TlsContext;

class TlsConnection final : public Session, private Transport, private Expiring {
public:
    TlsConnection(Service& service, Transport& lower, std::shared_ptr<const TlsContext> context);
    ~TlsConnection() override;

    Next start() override;
    Next received(char* bytes, std::size_t n) override;
    Next peer_closed() override;
    Next failed(int error) override { return inner_.failed(error); }
    Next writable() override;
    Next resume() override;
    Interest interest() const override;
    std::size_t read_room() const override;
    char* read_buffer() const override { return inner_.read_buffer(); }
    bool holding() const override;
    bool closed() const override { return inner_.closed(); }
    void close() override { inner_.close(); }

private:
    // The Transport the plaintext Connection sends through.
    long send(const char* bytes, std::size_t n) override;
    bool flushed() const override { return backlog_.empty() && !fin_after_backlog_ && lower_.flushed(); }
    void shutdown_write() override;
    void release() override;
    void abort() override;  // as release(), with a reset
    void let_go();  // what release() and abort() both do first
    void call_soon() override { lower_.call_soon(); }
    Endpoints endpoints() const override;
    void expire(Expiry why) override;  // proxy_header_timeout, tls_handshake_timeout

    template <class Step>
    Next guarded(Step step);  // bad_alloc ends this connection, not the loop
    Next feed(const char* bytes, std::size_t n);  // ciphertext in: handshake, then records
    Next flush_and_write();
    Next pump();
    Next handshake();
    Next handshake_failed(Counter Stats::*result);
    Next take_header(char* bytes, std::size_t n);
    Next header_outcome(ProxyHeaderReader::Outcome outcome);
    void await_handshake();
    bool flush();  // the backlog to the lower transport; false on its error (error_)
    void finish_write();
    void stop_waiting();

    static BIO* make_bio();  // one BIO method for every connection (tls_connection_bio.cpp)
    static int bio_read(BIO* bio, char* out, std::size_t n, std::size_t* read);
    static int bio_write(BIO* bio, const char* bytes, std::size_t n, std::size_t* written);

    Service& service_;
    Transport& lower_;
    std::shared_ptr<const TlsContext> context_;  // the settings it started with, kept over a reload
    SSL* ssl_;
    Connection inner_;
    Service::WaitSlot handshake_slot_;
    bool waiting_ = false;      // in the service's handshake list
    ProxyHeaderReader header_;  // proxy_protocol: before the handshake
    Service::HeaderSlot header_slot_;
    bool awaiting_header_ = false;
    std::string proxy_client_;  // the client a PROXY header named; empty: the socket's peer
    bool handshaking_ = true;   // until the handshake is done or failed
    long long started_us_ = 0;  // for the handshake's duration
    bool peer_eof_ = false;     // the client's FIN came
    bool eof_told_ = false;     // ...and inner_ was told, after what came before it
    bool released_ = false;
    bool fin_after_backlog_ = false;  // our close_notify waits in the backlog; then our FIN
    int error_ = 0;                   // the lower transport's
    const char* in_ = nullptr;        // what the BIO reads from during feed()
    std::size_t in_size_ = 0;
    std::string held_;     // ciphertext OpenSSL has not read (no room for its plaintext yet)
    std::string backlog_;  // ciphertext the lower transport has not taken yet
};

}  // namespace echomux
