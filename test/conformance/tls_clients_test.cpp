// SPDX-License-Identifier: BSL-1.0
// TLS echo against the clients people point at an echo service, once per backend: openssl
// s_client, ncat --ssl, socat OPENSSL: and Python's ssl module (scripts/install-deps.sh --test
// installs them; a missing one fails the test, saying so). What tls_test.cpp and
// tls_identity_test.cpp prove with the tests' own OpenSSL client is not repeated here, except
// where a real client's behaviour differs (ncat half-closes with a bare FIN, socat with
// close_notify) or is the point (a 64 MiB transfer, 200 clients at once, a certificate
// rotated under an open connection).
// PROXY protocol before TLS is in tls_identity_test.cpp (the tests' own client sends the header).
#include "real_clients.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;
using namespace echomux::test::real_clients;

BOOST_AUTO_TEST_SUITE(tls_clients)

// Python's ssl sends 64 MiB and its close_notify, reading as it goes: every byte comes back
// (same length, same SHA-256), then the server's close_notify. 64 MiB takes about a second
// here on an idle core (a few under ASan).
BOOST_AUTO_TEST_CASE(python_ssl_64_mib_with_half_close_comes_back_whole_then_close_notify) {
    const std::size_t size = 64u << 20;
    Server server(tls_args(tls_cert_dir()));
    const Run run = run_to_end({python(), "-c", kPythonHalfClose, port_text(server.port()), tls_cert_dir() + "/ca.pem",
                                std::to_string(size)},
                               {}, 120s);
    BOOST_REQUIRE_MESSAGE(run.status == 0, "python3 exited " << run.status << ": " << run.err);
    BOOST_TEST_MESSAGE(run.out);
    const std::string sizes = "sent=" + std::to_string(size) + " received=" + std::to_string(size) + " ";
    BOOST_TEST(run.out.find(sizes) != std::string::npos, run.out);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(run.out, m, std::regex("sent_sha256=([0-9a-f]{64}) received_sha256=([0-9a-f]{64})")));
    BOOST_TEST(m[1].str() == m[2].str());
    BOOST_TEST(run.out.find(" clean=1") != std::string::npos, run.out);  // the server's close_notify came
    BOOST_TEST(run.out.find("version=TLSv1.3 ") != std::string::npos, run.out);
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("closed_eof") == 1u);
    BOOST_TEST(server.counter("bytes_received") == size);
    BOOST_TEST(server.counter("bytes_sent") == size);
}

// 200 Python clients open at once, each with its own line: each gets exactly its own back.
BOOST_AUTO_TEST_CASE(two_hundred_concurrent_python_clients_each_get_exactly_their_own_line) {
    const int count = 200;
    Server server(tls_args(tls_cert_dir()));
    const Run run =
        run_to_end({python(), "-c", kPythonConcurrent, port_text(server.port()), tls_cert_dir() + "/ca.pem",
                    std::to_string(count)},
                   {}, 120s);
    BOOST_REQUIRE_MESSAGE(run.status == 0, "python3 exited " << run.status << ": " << run.err);
    BOOST_TEST(run.out == "exact=200 of 200\n", run.out);
    server.stop();
    BOOST_TEST(server.counter("accepted") == 200u);
    BOOST_TEST(server.counter("tls_handshakes_ok") == 200u);
    BOOST_TEST(server.counter("closed_eof") == 200u);
    BOOST_TEST(server.counter("closed_tls_error") == 0u);
}

// SIGHUP with a certificate from another CA in the files' place: an open s_client keeps
// echoing through the reload on the certificate it verified (A's CA), and new connections
// verify only against B's CA.
BOOST_AUTO_TEST_CASE(sighup_rotates_the_certificate_while_an_open_connection_keeps_echoing) {
    const std::string a = tls_cert_dir();
    OtherCa b;
    TempDir live("echomux-tls-live");
    const std::string cert = live.path() + "/tls.crt", key = live.path() + "/tls.key";
    const auto install = [&](const std::string& dir) {  // as a Secret's files change: a rename each
        BOOST_REQUIRE(std::system(("cp " + dir + "/server.pem " + cert + ".new && mv " + cert + ".new " + cert + " && cp " +
                                   dir + "/server.key " + key + ".new && mv " + key + ".new " + key)
                                      .c_str()) == 0);
    };
    install(a);
    const std::string conf = live.path() + "/echomux.conf";
    std::ofstream(conf) << "tls_cert = " << cert << "\ntls_key = " << key << "\n";
    Server server({"--config", conf});

    Interactive old(s_client(server.port(), a + "/ca.pem"));
    BOOST_REQUIRE_MESSAGE(old.echoes("before the reload\n"), old.process().err());

    install(b.path(""));
    server.process().signal(SIGHUP);
    BOOST_TEST(old.echoes("during the reload\n"), old.process().err());
    BOOST_REQUIRE_MESSAGE(server.process().wait_for_err("reload: done", 10s), server.process().err());
    BOOST_TEST(server.process().err().find("reload: listener") == std::string::npos, server.process().err());

    // New connections: B's certificate, which A's CA does not verify.
    const Run with_a = run_to_end(s_client(server.port(), a + "/ca.pem"), {}, 20s);
    BOOST_TEST(with_a.status != 0);
    BOOST_TEST(with_a.err.find("certificate verify failed") != std::string::npos, with_a.err);
    const Run with_b = run_to_end(s_client(server.port(), b.path("ca.pem")), {}, 20s);
    BOOST_TEST(with_b.status == 0, with_b.err);
    {
        TlsClient fresh(server.port(), verified_by(b.path("ca.pem")));
        BOOST_REQUIRE_MESSAGE(fresh.handshake_ok(), fresh.error());
        BOOST_REQUIRE(fresh.write_all("new pair\n"));
        BOOST_TEST(fresh.read_exact(9) == "new pair\n");
        fresh.close_notify();
        bool clean = false;
        BOOST_TEST(fresh.read_to_end(&clean).empty());
        BOOST_TEST(clean);
    }

    // The old connection, on A's certificate, echoes on and ends cleanly.
    BOOST_TEST(old.echoes("after the reload\n"), old.process().err());
    BOOST_TEST(old.finish() == 0, old.process().err());
    BOOST_TEST(old.process().out() == "before the reload\nduring the reload\nafter the reload\n");
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 3u);  // old, s_client with B, fresh
}

BOOST_AUTO_TEST_SUITE_END()
