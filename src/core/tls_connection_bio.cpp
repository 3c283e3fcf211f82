// SPDX-License-Identifier: BSL-1.0
// TlsConnection's BIO: where OpenSSL reads the ciphertext the backend handed in and writes
// what goes out, doing no I/O of its own (see tls_connection.hpp).
#include "echomux/core/tls_connection.hpp"

#include <openssl/bio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace echomux {
namespace {

long bio_control(BIO*, int command, long, void*) {
    return command == BIO_CTRL_FLUSH ? 1 : 0;  // writes are never buffered in the BIO
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

// One BIO kind for every connection: its data is the TlsConnection.
BIO_METHOD* connection_bio(int (*read)(BIO*, char*, std::size_t, std::size_t*),
                           int (*write)(BIO*, const char*, std::size_t, std::size_t*)) {
    static BIO_METHOD* const method = [&] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "echomux connection");
        if (!m || !BIO_meth_set_read_ex(m, read) || !BIO_meth_set_write_ex(m, write) ||
            !BIO_meth_set_ctrl(m, bio_control) || !BIO_meth_set_create(m, bio_create))
            throw std::runtime_error("TLS: cannot make a BIO method");
        return m;
    }();
    return method;
}

}  // namespace

BIO* TlsConnection::make_bio() {
    return BIO_new(connection_bio(&TlsConnection::bio_read, &TlsConnection::bio_write));
}

int TlsConnection::bio_read(BIO* bio, char* out, std::size_t n, std::size_t* read) {
    auto* self = static_cast<TlsConnection*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (self->in_size_ == 0) {
        BIO_set_retry_read(bio);
        return 0;
    }
    const std::size_t take = std::min(n, self->in_size_);
    std::memcpy(out, self->in_, take);
    self->in_ += take;
    self->in_size_ -= take;
    *read = take;
    return 1;
}

// Straight to the lower transport when nothing waits; the rest waits in the backlog.
int TlsConnection::bio_write(BIO* bio, const char* bytes, std::size_t n, std::size_t* written) {
    auto* self = static_cast<TlsConnection*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    *written = n;
    if (self->released_ || self->error_ != 0) return 1;  // nobody to send to: dropped, as a closed socket would
    if (self->backlog_.empty()) {
        const long sent = self->lower_.send(bytes, n);
        if (sent < 0) {
            self->error_ = static_cast<int>(-sent);
            return 1;
        }
        bytes += sent;
        n -= static_cast<std::size_t>(sent);
    }
    try {
        self->backlog_.append(bytes, n);
    } catch (const std::bad_alloc&) {  // never through OpenSSL's C frames
        self->error_ = ENOMEM;
    }
    return 1;
}

}  // namespace echomux
