// SPDX-License-Identifier: BSL-1.0
#include "support/tls_client.hpp"

#include "support/net.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <sstream>
#include <cstdlib>
#include <chrono>

namespace echomux::test {

const std::string& tls_cert_dir() {
    static TempDir dir("echomux-tls");
    static const bool made = [] {
        const std::string command = std::string("sh " ECHOMUX_SOURCE_DIR "/scripts/tls-certs.sh ") + dir.path() + " >/dev/null";
        return std::system(command.c_str()) == 0;
    }();
    BOOST_REQUIRE_MESSAGE(made, "scripts/tls-certs.sh failed (is openssl installed?)");
    return dir.path();
}

namespace {
std::string last_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "no OpenSSL error (the connection ended)";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}
}  // namespace

TlsClient::TlsClient(int port, const TlsOptions& options)
    : context_(SSL_CTX_new(TLS_client_method())),
      socket_(options.receive_buffer > 0 ? connect_with_receive_buffer(port, options.receive_buffer) : connect_to(port)) {
    set_receive_timeout(socket_.get(), 10'000);
    if (options.max_version) SSL_CTX_set_max_proto_version(context_, options.max_version);
    if (!options.ca_file.empty()) {
        SSL_CTX_load_verify_locations(context_, options.ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    }
    if (!options.cert_file.empty()) {
        SSL_CTX_use_certificate_chain_file(context_, options.cert_file.c_str());
        SSL_CTX_use_PrivateKey_file(context_, options.key_file.c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(context_);
    if (!options.alpn.empty()) {  // "a,b" in ALPN's wire format: each name after its length
        std::string wire;
        std::istringstream names(options.alpn);
        for (std::string name; std::getline(names, name, ',');) wire += static_cast<char>(name.size()) + name;
        SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
    }
    SSL_set_fd(ssl_, socket_.get());
    SSL_set_tlsext_host_name(ssl_, options.server_name.c_str());
    if (!options.ca_file.empty()) SSL_set1_host(ssl_, options.server_name.c_str());
    if (!options.preamble.empty()) send_all(socket_.get(), options.preamble);
    ok_ = SSL_connect(ssl_) == 1;
    if (!ok_) error_ = last_error();
}

TlsClient::~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
}

std::string TlsClient::version() const { return SSL_get_version(ssl_); }

std::string TlsClient::alpn() const {
    const unsigned char* name = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &name, &length);
    return name ? std::string(reinterpret_cast<const char*>(name), length) : "";
}

bool TlsClient::write_all(const std::string& bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
        std::size_t written = 0;
        if (SSL_write_ex(ssl_, bytes.data() + at, bytes.size() - at, &written) != 1) return false;
        at += written;
    }
    return true;
}

std::string TlsClient::read_exact(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        std::size_t read = 0;
        if (SSL_read_ex(ssl_, out.data() + got, n - got, &read) != 1) break;
        got += read;
    }
    out.resize(got);
    return out;
}

std::string TlsClient::read_to_end(bool* clean) {
    std::string out;
    char chunk[16384];
    for (;;) {
        std::size_t read = 0;
        const int result = SSL_read_ex(ssl_, chunk, sizeof chunk, &read);
        if (result == 1) {
            out.append(chunk, read);
            continue;
        }
        if (clean) *clean = SSL_get_error(ssl_, result) == SSL_ERROR_ZERO_RETURN;
        ERR_clear_error();
        return out;
    }
}

void TlsClient::close_notify() { SSL_shutdown(ssl_); }

TlsClient::Flood TlsClient::key_update_flood(double seconds) {
    Flood flood;
    const int small = 16 * 1024;
    ::setsockopt(socket_.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::fcntl(socket_.get(), F_SETFL, ::fcntl(socket_.get(), F_GETFL) | O_NONBLOCK);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    bool pending = false;  // a request OpenSSL could not send yet
    while (std::chrono::steady_clock::now() < deadline) {
        if (!pending && SSL_key_update(ssl_, SSL_KEY_UPDATE_REQUESTED) != 1) break;
        const int result = SSL_do_handshake(ssl_);
        if (result == 1) {
            ++flood.sent;
            pending = false;
            continue;
        }
        if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_WRITE) break;
        pending = true;
        // A server that reads on (however slowly) makes room within a second.
        pollfd p{socket_.get(), POLLOUT, 0};
        if (::poll(&p, 1, 1000) == 0) {
            flood.blocked = true;
            break;
        }
    }
    ERR_clear_error();
    return flood;
}

std::string TlsClient::exchange(const std::string& bytes, bool* clean) {
    ::fcntl(socket_.get(), F_SETFL, ::fcntl(socket_.get(), F_GETFL) | O_NONBLOCK);
    std::string back;
    std::size_t sent = 0;
    bool shut = false;
    *clean = false;
    char chunk[16384];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        short want = POLLIN;
        if (sent < bytes.size()) {
            std::size_t written = 0;
            const int result = SSL_write_ex(ssl_, bytes.data() + sent, std::min<std::size_t>(bytes.size() - sent, 16384),
                                            &written);
            if (result == 1) sent += written;
            else if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_WRITE) want |= POLLOUT;
            else if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) break;
        } else if (!shut) {
            SSL_shutdown(ssl_);
            shut = true;
        }
        std::size_t read = 0;
        const int result = SSL_read_ex(ssl_, chunk, sizeof chunk, &read);
        if (result == 1) {
            back.append(chunk, read);
            continue;
        }
        const int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_ZERO_RETURN) {
            *clean = true;
            break;
        }
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) break;
        if (sent < bytes.size() && want == POLLIN) continue;  // the write made progress: try again
        pollfd p{socket_.get(), want, 0};
        ::poll(&p, 1, 1000);
    }
    ERR_clear_error();
    return back;
}

}  // namespace echomux::test
