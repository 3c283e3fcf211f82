// SPDX-License-Identifier: BSL-1.0
// What a TLS client is, as echomux sees it, once per backend: client certificates (mTLS)
// refused or accepted, ALPN agreed or refused, and the SNI name, version and certificate
// subject in the greeting (%n, %v, %c), the access log and the metrics.
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <cstdlib>
#include <ctime>
#include <string>

using namespace echomux::test;

namespace {

std::vector<std::string> tls_args(std::vector<std::string> more) {
    more.push_back("--tls-cert=" + tls_cert_dir() + "/server.pem");
    more.push_back("--tls-key=" + tls_cert_dir() + "/server.key");
    return more;
}

TlsOptions as_client(bool with_certificate) {
    TlsOptions o = verified_by(tls_cert_dir() + "/ca.pem");
    if (with_certificate) {
        o.cert_file = tls_cert_dir() + "/client.pem";
        o.key_file = tls_cert_dir() + "/client.key";
    }
    return o;
}

// One line out and back: what a refused client cannot do.
bool echoes(TlsClient& c) { return c.handshake_ok() && c.write_all("ping\n") && c.read_exact(5) == "ping\n"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_identity)

// required: a client without a certificate is refused and counted; one with a certificate
// tls_client_ca signed is served, its subject in %c.
BOOST_AUTO_TEST_CASE(mtls_required_refuses_a_client_without_a_certificate_and_serves_one_with_it) {
    Server server(tls_args({"--tls-client-auth=required", "--tls-client-ca=" + tls_cert_dir() + "/ca.pem",
                            "--greeting=cert %c"}));
    {
        TlsClient without(server.port(), as_client(false));
        BOOST_TEST(!echoes(without));  // TLS 1.3: the refusal comes after the client's side is done
    }
    {  // a certificate from another CA: made by the same script in another directory
        TempDir other("echomux-other-ca");
        const std::string command = std::string("sh " ECHOMUX_SOURCE_DIR "/scripts/tls-certs.sh ") + other.path() + " >/dev/null";
        BOOST_REQUIRE(std::system(command.c_str()) == 0);
        TlsOptions stranger = as_client(false);
        stranger.cert_file = other.path() + "/client.pem";
        stranger.key_file = other.path() + "/client.key";
        TlsClient foreign(server.port(), stranger);
        BOOST_TEST(!echoes(foreign));
    }
    TlsClient with(server.port(), as_client(true));
    BOOST_REQUIRE_MESSAGE(with.handshake_ok(), with.error());
    BOOST_TEST(with.read_exact(28) == "cert CN=echomux test client\n");
    BOOST_TEST(echoes(with));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_client_cert_refused") == 2u);
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
}

// optional: no certificate is fine (%c empty), a certificate is verified.
BOOST_AUTO_TEST_CASE(mtls_optional_serves_clients_with_and_without_a_certificate) {
    Server server(tls_args({"--tls-client-auth=optional", "--tls-client-ca=" + tls_cert_dir() + "/ca.pem",
                            "--greeting=[%c]"}));
    TlsClient without(server.port(), as_client(false));
    BOOST_REQUIRE_MESSAGE(without.handshake_ok(), without.error());
    BOOST_TEST(without.read_exact(3) == "[]\n");
    BOOST_TEST(echoes(without));
    TlsClient with(server.port(), as_client(true));
    BOOST_TEST(with.read_exact(25) == "[CN=echomux test client]\n");
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 2u);
}

BOOST_AUTO_TEST_CASE(sni_version_and_alpn_reach_the_greeting_and_the_access_log) {
    Server server(tls_args({"--tls-alpn=echo,h2", "--greeting=%n %v", "--access-log=on"}));
    TlsOptions options = as_client(false);
    options.alpn = "h2,echo";  // the server's preference wins
    TlsClient c(server.port(), options);
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_TEST(c.alpn() == "echo");
    BOOST_TEST(c.read_exact(18) == "localhost TLSv1.3\n");
    c.close_notify();
    bool clean = false;
    c.read_to_end(&clean);
    BOOST_TEST(server.process().wait_for_err(" tls=TLSv1.3 sni=localhost alpn=echo client_cert=\"\" ", 5s),
               server.process().err());
    // A client that offers only protocols we do not speak is refused (RFC 7301).
    TlsOptions other = as_client(false);
    other.alpn = "h2";
    other.server_name = "localhost";
    Server strict(tls_args({"--tls-alpn=echo"}));
    TlsClient refused(strict.port(), other);
    BOOST_TEST(!refused.handshake_ok());
    // And one that offers none is served without.
    TlsClient plain_alpn(strict.port(), as_client(false));
    BOOST_TEST(plain_alpn.alpn().empty());
    BOOST_TEST(echoes(plain_alpn));
    strict.stop();
    BOOST_TEST(strict.counter("tls_handshakes_protocol_error") == 1u);
}

BOOST_AUTO_TEST_CASE(metrics_count_versions_time_handshakes_and_show_the_certificate_expiry) {
    Server server = Server::with_metrics(tls_args({}));
    TlsOptions v12 = as_client(false);
    v12.max_version = TLS1_2_VERSION;
    TlsClient old(server.port(), v12);
    BOOST_REQUIRE_MESSAGE(old.handshake_ok(), old.error());
    TlsClient current(server.port(), as_client(false));
    BOOST_REQUIRE_MESSAGE(current.handshake_ok(), current.error());
    BOOST_TEST(echoes(old));
    BOOST_TEST(echoes(current));
    const std::string page = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(metric_sample(page, "echomux_tls_connections_total{version=\"TLSv1.2\"}") == 1);
    BOOST_TEST(metric_sample(page, "echomux_tls_connections_total{version=\"TLSv1.3\"}") == 1);
    BOOST_TEST(metric_sample(page, "echomux_tls_handshake_duration_seconds_count") == 2);
    BOOST_TEST(metric_sample(page, "echomux_tls_handshake_duration_seconds_bucket{le=\"+Inf\"}") == 2);
    // tls-certs.sh signs for 30 days: the gauge is that far ahead, give or take a day.
    const long long not_after = metric_sample(page, "echomux_tls_certificate_not_after_seconds");
    const long long now = static_cast<long long>(std::time(nullptr));
    BOOST_TEST(not_after > now + 28 * 86400);
    BOOST_TEST(not_after < now + 32 * 86400);
}

// A load balancer sends its PROXY header, then the client's TLS: the header names the
// client (%p, the access log), and a TLS connection without one is refused when required.
BOOST_AUTO_TEST_CASE(a_proxy_header_before_tls_names_the_client) {
    Server server(tls_args({"--proxy-protocol=required", "--greeting=you are %p", "--access-log=on"}));
    TlsOptions proxied = as_client(false);
    proxied.preamble = "PROXY TCP4 192.0.2.7 198.51.100.1 4444 443\r\n";
    TlsClient c(server.port(), proxied);
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    BOOST_TEST(c.read_exact(23) == "you are 192.0.2.7:4444\n");
    BOOST_TEST(echoes(c));
    TlsClient bare(server.port(), as_client(false));  // its ClientHello is no PROXY header
    BOOST_TEST(!bare.handshake_ok());
    c.close_notify();
    c.read_to_end();
    BOOST_TEST(server.process().wait_for_err("access listener=main client=192.0.2.7:4444 ", 5s), server.process().err());
    server.stop();
    BOOST_TEST(server.counter("proxy_headers") == 1u);
    BOOST_TEST(server.counter("proxy_missing") == 1u);
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
