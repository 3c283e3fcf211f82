// SPDX-License-Identifier: BSL-1.0
// TLS echo, once per backend: the same core serves TLS on every one. Certificates come from
// scripts/tls-certs.sh (a throwaway CA) in a temporary directory; the client is OpenSSL's.
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <string>

#include <chrono>
#include <cstdlib>

using namespace echomux::test;

namespace {
const std::string& cert_dir() { return tls_cert_dir(); }

std::vector<std::string> tls_args(std::vector<std::string> more = {}) {
    more.push_back("--tls-cert=" + cert_dir() + "/server.pem");
    more.push_back("--tls-key=" + cert_dir() + "/server.key");
    return more;
}

TlsOptions verified() { return verified_by(cert_dir() + "/ca.pem"); }
}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(a_verified_client_gets_its_bytes_back_then_close_notify_and_eof) {
    Server server(tls_args());
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_TEST(c.version() == "TLSv1.3");
    BOOST_REQUIRE(c.write_all("hello over TLS\n"));
    BOOST_TEST(c.read_exact(15) == "hello over TLS\n");
    c.close_notify();
    bool clean = false;
    BOOST_TEST(c.read_to_end(&clean).empty());
    BOOST_TEST(clean);  // our close_notify came before the FIN
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// Half-close as in plaintext: the client writes 8 MiB and its close_notify, reading as it
// goes, through a 64 KiB max_buffer_bytes; every byte comes back, in order, then ours.
BOOST_AUTO_TEST_CASE(a_large_transfer_with_half_close_comes_back_whole) {
    Server server(tls_args({"--max-buffer-bytes=64KiB"}));
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    const auto bytes = random_bytes(8u << 20, 22);
    const std::string sent(bytes.begin(), bytes.end());
    bool clean = false;
    const std::string back = c.exchange(sent, &clean);
    BOOST_TEST(clean);
    BOOST_TEST(back.size() == sent.size());
    BOOST_TEST(sha256_hex(back.data(), back.size()) == sha256_hex(sent.data(), sent.size()));
}

// A stream maps no fresh memory per record: what the server copies records into for the
// kernel is reused. (io_uring's 64 KiB send copy was freed whenever the connection had
// nothing left to send, which a TLS stream has between records, and allocated again, mmap
// and all: 5,000 minor page faults while 32 MiB were echoed, and a third more CPU per byte.)
// The first transfer warms the server up (receive buffers, OpenSSL's heap); the second may
// then fault in a few pages, not thousands. Not under AddressSanitizer, whose quarantine
// hands out fresh memory for every allocation.
#if !defined(__SANITIZE_ADDRESS__)
BOOST_AUTO_TEST_CASE(a_tls_stream_maps_no_fresh_memory_per_record) {
    Server server(tls_args());
    const auto echo = [&](std::size_t size) {
        TlsClient c(server.port(), verified());
        BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
        const auto bytes = random_bytes(size, 23);
        bool clean = false;
        BOOST_REQUIRE(c.exchange(std::string(bytes.begin(), bytes.end()), &clean).size() == size);
    };
    echo(8u << 20);
    const unsigned long long warm = server.process().minor_faults();
    echo(32u << 20);
    const unsigned long long faults = server.process().minor_faults() - warm;
    BOOST_TEST_MESSAGE("server: " << faults << " minor page faults while 32 MiB were echoed");
    BOOST_TEST(faults <= 512u);
}
#endif

BOOST_AUTO_TEST_CASE(the_greeting_comes_after_the_handshake_through_tls) {
    Server server(tls_args({"--greeting=hello %p"}));
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    const std::string expected = "hello " + address_of(c.fd(), false) + "\n";
    BOOST_TEST(c.read_exact(expected.size()) == expected);
    BOOST_REQUIRE(c.write_all("x"));
    BOOST_TEST(c.read_exact(1) == "x");
}

// Plaintext on a TLS port is no TLS: closed at once and counted; a TLS client beside it is
// served as usual.
BOOST_AUTO_TEST_CASE(plaintext_on_a_tls_port_is_closed_and_counted_and_others_are_served) {
    Server server(tls_args());
    auto plain = connect_to(server.port());
    send_all(plain.get(), "GET / HTTP/1.0\r\n\r\n");
    BOOST_TEST(peer_closed_within(plain.get(), 5000));
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_REQUIRE(c.write_all("still here"));
    BOOST_TEST(c.read_exact(10) == "still here");
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_protocol_error") == 1u);
    BOOST_TEST(server.counter("closed_tls_error") == 1u);
}

// A client that connects and never finishes its handshake holds nothing past the timeout.
BOOST_AUTO_TEST_CASE(a_client_that_never_finishes_its_handshake_is_closed_at_the_timeout) {
    Server server(tls_args({"--tls-handshake-timeout=300ms"}));
    auto silent = connect_to(server.port());
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(peer_closed_within(silent.get(), 5000));
    const auto waited = std::chrono::steady_clock::now() - start;
    BOOST_TEST((waited >= std::chrono::milliseconds(250)));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_timeout") == 1u);
}

BOOST_AUTO_TEST_CASE(tls_1_2_is_refused_at_min_version_1_3_and_served_by_default) {
    {
        Server server(tls_args({"--tls-min-version=1.3"}));
        TlsClient old(server.port(), verified_by(cert_dir() + "/ca.pem", TLS1_2_VERSION));
        BOOST_TEST(!old.handshake_ok());
        server.stop();
        BOOST_TEST(server.counter("tls_handshakes_protocol_error") == 1u);
    }
    Server server(tls_args());
    TlsClient old(server.port(), verified_by(cert_dir() + "/ca.pem", TLS1_2_VERSION));
    BOOST_REQUIRE_MESSAGE(old.handshake_ok(), old.error());
    BOOST_TEST(old.version() == "TLSv1.2");
    BOOST_REQUIRE(old.write_all("twelve"));
    BOOST_TEST(old.read_exact(6) == "twelve");
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_mid_handshake_is_counted_and_others_are_served) {
    Server server(tls_args());
    {
        auto leaver = connect_to(server.port());
        send_all(leaver.get(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // half a ClientHello
        ::shutdown(leaver.get(), SHUT_WR);
        BOOST_TEST(peer_closed_within(leaver.get(), 5000));
    }
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_abandoned") == 1u);
}

// Half a record, then the client's FIN: the record never completes. The connection ends as
// after a FIN (what came before is echoed, then ours), at once, not at idle_timeout; and no
// level-triggered loop spins on a socket it has stopped reading.
BOOST_AUTO_TEST_CASE(half_a_record_then_fin_ends_the_connection_at_once) {
    Server server(tls_args());
    TlsClient c(server.port(), verified());
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_REQUIRE(c.write_all("whole"));
    BOOST_REQUIRE(c.read_exact(5) == "whole");
    const std::string half_record = std::string("\x17\x03\x03\x00\x40", 5) + std::string(20, 'h');  // 20 of 64
    send_all(c.fd(), half_record);
    ::shutdown(c.fd(), SHUT_WR);
    bool clean = false;
    c.read_to_end(&clean);  // the server's close_notify and FIN, or a timeout (10 s) when it hangs
    BOOST_TEST(clean);
    server.stop();
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// A greeting of many records through a small window: each send takes as many records as the
// socket does, so on edge-triggered epoll a short send always means a full socket (one record
// per send stalled at 32 KiB, waiting for readiness that never changed).
BOOST_AUTO_TEST_CASE(a_greeting_of_many_records_arrives_whole_through_a_small_window) {
    const std::string part(100 * 1024, 'g');
    Server server(tls_args({"--greeting=${BIG}${BIG}${BIG}", "--max-buffer-bytes=1MiB"}),
                  ProcessOptions{{{"BIG", part}}, {}, {}});
    TlsClient c(server.port(), verified_by(cert_dir() + "/ca.pem", 0, 4096));
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    const std::string expected = part + part + part + "\n";
    BOOST_TEST((c.read_exact(expected.size()) == expected));
    BOOST_REQUIRE(c.write_all("then echo"));
    BOOST_TEST(c.read_exact(9) == "then echo");
}

// A client that asks for KeyUpdates and reads none of the answers: the answers wait for the
// socket, and reading pauses while they do (backpressure), so the client's sends block and
// the server holds a bounded amount (it read on, and grew ~1 MiB/s, before).
BOOST_AUTO_TEST_CASE(key_update_requests_that_are_never_read_make_the_server_stop_reading) {
    Server server = Server::with_metrics(tls_args());
    TlsClient c(server.port(), verified_by(cert_dir() + "/ca.pem", 0, 4096));
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    // Until the server stops reading: the kernel's buffers take a few MB of answers first,
    // slower under a sanitizer on a busy machine; a server that reads on never stops.
    const auto flood = c.key_update_flood(60);
    BOOST_TEST_MESSAGE("KeyUpdate requests sent before the server stopped reading: " << flood.sent);
    BOOST_TEST(flood.blocked);
    TlsClient other(server.port(), verified());  // the loop serves others meanwhile
    BOOST_REQUIRE_MESSAGE(other.handshake_ok(), other.error());
    BOOST_REQUIRE(other.write_all("served"));
    BOOST_TEST(other.read_exact(6) == "served");
}

BOOST_AUTO_TEST_SUITE_END()
