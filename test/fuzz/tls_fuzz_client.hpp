// SPDX-License-Identifier: BSL-1.0
// The TLS fuzz target's client (tls_fuzz.cpp): a real OpenSSL client on memory BIOs whose
// ciphertext waits in `stream` until the script delivers it, with the bookkeeping the checks
// need: which plaintext went out in which record, so a run knows what the server must have
// echoed once the first `delivered` bytes of the stream reached it (whole records only).
#pragma once

#include "throwaway_tls.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <utility>

namespace echomux::fuzz {

// The client: a real OpenSSL client whose ciphertext waits in `stream` until delivered.
struct Client {
    Client(int max_version, bool alpn) : ssl(new_client(client_context(), max_version, alpn)) {}
    ~Client() { SSL_free(ssl); }
    bool finished() const { return SSL_is_init_finished(ssl); }

    void take_output() {  // the client's wbio into the stream
        BIO* out = SSL_get_wbio(ssl);
        char chunk[4096];
        int n;
        while ((n = BIO_read(out, chunk, sizeof chunk)) > 0) stream.append(chunk, static_cast<std::size_t>(n));
        ERR_clear_error();  // the thread's queue is the server's too: leave it as we found it
    }
    void write(const std::string& plain) {
        waiting += plain;
        if (!finished() || shut || closed_by_server) return;
        for (std::size_t at = 0; at < waiting.size();) {
            std::size_t n = 0;
            if (SSL_write_ex(ssl, waiting.data() + at, std::min<std::size_t>(waiting.size() - at, 16384), &n) != 1) {
                broken = true;
                ERR_clear_error();
                break;
            }
            take_output();
            records.emplace_back(stream.size(), n);  // this record's end, and its plaintext
            sent.append(waiting, at, n);
            at += n;
        }
        waiting.clear();
    }
    // What the server sent: handshake, records, its close_notify.
    void read(const std::string& wire) {
        if (silent) return;
        if (wire_read < wire.size()) BIO_write(SSL_get_rbio(ssl), wire.data() + wire_read, int(wire.size() - wire_read));
        wire_read = wire.size();
        if (!finished() && SSL_do_handshake(ssl) != 1 && SSL_get_error(ssl, -1) != SSL_ERROR_WANT_READ) broken = true;
        take_output();
        if (!finished()) return;
        write("");
        char plain[16384];
        for (int reads = 0; reads < 1000 && !closed_by_server; ++reads) {
            std::size_t n = 0;
            const int result = SSL_read_ex(ssl, plain, sizeof plain, &n);
            if (result == 1) {
                received.append(plain, n);
                continue;
            }
            const int error = SSL_get_error(ssl, result);
            if (error == SSL_ERROR_ZERO_RETURN) closed_by_server = true;
            else if (error != SSL_ERROR_WANT_READ) broken = true;
            break;
        }
        take_output();  // a KeyUpdate's answer
    }
    // The stream's first `delivered` bytes reached the server: the plaintext of whole records.
    void delivered_up_to(std::size_t delivered) {
        while (!records.empty() && records.front().first <= delivered) {
            plain_delivered += records.front().second;
            records.pop_front();
        }
    }

    SSL* ssl;
    std::string stream;   // ciphertext, all of it, in order
    std::size_t delivered = 0;
    std::deque<std::pair<std::size_t, std::size_t>> records;
    std::string waiting, sent, received;
    std::size_t plain_delivered = 0;
    std::size_t wire_read = 0;
    bool shut = false, closed_by_server = false, broken = false;
    bool silent = false;  // raw bytes first: the fuzzer's ClientHello, not ours
};

}  // namespace echomux::fuzz
