// SPDX-License-Identifier: BSL-1.0
// TLS echo against real clients, once per backend (continued from tls_clients_test.cpp):
// versions refused and served, a stalled handshake, ncat's bare FIN, socat's close_notify,
// and s_client with SNI, ALPN and a client certificate.
#include "real_clients.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;
using namespace echomux::test::real_clients;

BOOST_AUTO_TEST_SUITE(tls_clients)

// tls_min_version = 1.3: s_client -tls1_2 gets a protocol_version alert and exits non-zero,
// counted; -tls1_3 is served. Without it, s_client -tls1_2 is served on TLS 1.2.
BOOST_AUTO_TEST_CASE(openssl_s_client_tls1_2_is_refused_at_min_version_1_3_and_served_by_default) {
    const std::string ca = tls_cert_dir() + "/ca.pem";
    {
        Server server(tls_args(tls_cert_dir(), {"--tls-min-version=1.3"}));
        const Run refused = run_to_end(s_client(server.port(), ca, {"-tls1_2"}), {}, 20s);
        BOOST_TEST(refused.status != 0);
        BOOST_TEST(refused.err.find("alert protocol version") != std::string::npos, refused.err);
        Interactive current(s_client(server.port(), ca, {"-tls1_3"}));
        BOOST_TEST(current.echoes("thirteen\n"), current.process().err());
        BOOST_TEST(current.finish() == 0);
        server.stop();
        BOOST_TEST(server.counter("tls_handshakes_protocol_error") == 1u);
        BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
        BOOST_TEST(server.counter("tls_connections_v1_2") == 0u);
    }
    Server server(tls_args(tls_cert_dir()));
    std::vector<std::string> brief = s_client(server.port(), ca, {"-tls1_2", "-brief"});
    Interactive old(brief);
    BOOST_TEST(old.echoes("twelve\n"), old.process().err());
    BOOST_TEST(old.finish() == 0);
    BOOST_TEST(old.process().err().find("Protocol version: TLSv1.2") != std::string::npos, old.process().err());
    server.stop();
    BOOST_TEST(server.counter("tls_connections_v1_2") == 1u);
}

// Half a ClientHello, then nothing (no FIN): the handshake has begun and stalls; closed at
// tls_handshake_timeout and counted as a timeout, not left to idle_timeout.
BOOST_AUTO_TEST_CASE(a_client_that_stops_mid_client_hello_is_closed_at_the_handshake_timeout) {
    Server server(tls_args(tls_cert_dir(), {"--tls-handshake-timeout=300ms"}));
    auto stalled = connect_to(server.port());
    send_all(stalled.get(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(peer_closed_within(stalled.get(), 5000));
    BOOST_TEST((std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250)));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_timeout") == 1u);
    BOOST_TEST(server.counter("closed_tls_error") == 1u);
}

// ncat --ssl half-closes with a bare FIN (no close_notify) at its stdin's EOF and reads on:
// 4 MiB come back whole, then the server ends the connection.
BOOST_AUTO_TEST_CASE(ncat_ssl_gets_every_byte_back_after_its_fin) {
    Server server(tls_args(tls_cert_dir()));
    TempDir files("echomux-ncat");
    const std::string sent = write_pattern_file(files.path() + "/in", 4u << 20, 7);
    const Run run = run_with_files({program("ncat"), "--ssl", "--ssl-verify", "--ssl-trustfile", tls_cert_dir() + "/ca.pem",
                                    "-4", "localhost", port_text(server.port())},
                                   files.path() + "/in", files.path() + "/out", 60s);
    BOOST_TEST(run.status == 0, run.err);
    const std::string back = read_file(files.path() + "/out");
    BOOST_TEST(back.size() == sent.size());
    BOOST_TEST(sha256_hex(back.data(), back.size()) == sha256_hex(sent.data(), sent.size()));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// socat sends close_notify at its stdin's EOF and reads on: its lines come back exactly, and
// its final SSL_shutdown returns 1 (the server's close_notify came).
BOOST_AUTO_TEST_CASE(socat_openssl_gets_its_lines_back_and_the_servers_close_notify) {
    Server server(tls_args(tls_cert_dir()));
    const std::string lines = "socat one\nsocat two\n";
    const Run run = run_to_end({program("socat"), "-d", "-d", "-d", "-d", "-t", "30", "-T", "30", "-",
                                "OPENSSL:127.0.0.1:" + port_text(server.port()) + ",cafile=" + tls_cert_dir() +
                                    "/ca.pem,commonname=localhost"},
                               ProcessOptions{{}, {}, lines}, 60s);
    BOOST_TEST(run.status == 0, run.err);
    BOOST_TEST(run.out == lines);
    BOOST_TEST(run.err.find("SSL_shutdown() -> 1") != std::string::npos, run.err);
    server.stop();
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// openssl s_client with a client certificate, an SNI name of its own and ALPN: the greeting
// and the access log name them, the echo is exact; without a certificate it gets
// certificate_required.
BOOST_AUTO_TEST_CASE(openssl_s_client_with_sni_alpn_and_client_certificate_and_without) {
    const std::string dir = tls_cert_dir();
    Server server(tls_args(dir, {"--tls-client-auth=required", "--tls-client-ca=" + dir + "/ca.pem",
                                 "--tls-alpn=echo,h2", "--greeting=%n|%c|%v", "--access-log=on"}));
    Interactive with(s_client(server.port(), dir + "/ca.pem",
                              {"-servername", "echo.example", "-alpn", "h2,echo", "-cert", dir + "/client.pem", "-key",
                               dir + "/client.key", "-brief"}));
    BOOST_TEST(with.expect("echo.example|CN=echomux test client|TLSv1.3\n"), with.process().err());  // the greeting
    BOOST_TEST(with.echoes("mutual\n"), with.process().err());
    BOOST_TEST(with.finish() == 0);
    BOOST_TEST(with.process().out() == "echo.example|CN=echomux test client|TLSv1.3\nmutual\n");
    BOOST_TEST(server.process().wait_for_err(" sni=echo.example alpn=echo client_cert=\"CN=echomux test client\" ", 5s),
               server.process().err());

    Interactive without(s_client(server.port(), dir + "/ca.pem"));
    without.write("refused\n");
    const auto status = without.process().wait(20s);  // it ends when the server's alert comes
    BOOST_REQUIRE_MESSAGE(status, "s_client without a certificate did not end: " << without.process().err());
    BOOST_TEST(*status != 0);
    BOOST_TEST(without.process().out().empty());
    BOOST_TEST(without.process().err().find("alert certificate required") != std::string::npos, without.process().err());
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("tls_handshakes_client_cert_refused") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
