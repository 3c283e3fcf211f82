// SPDX-License-Identifier: BSL-1.0
// echomux-client --tls and echomux-bench run --tls against echomux's TLS port and the TLS
// anchor (echomux-tls-reference-server), with the throwaway CA of scripts/tls-certs.sh:
// exact bytes back, a wrong CA or name refused in so many words, a client certificate where
// one is required, and the bench's byte counts and handshakes held against the server's own.
#define BOOST_TEST_MODULE echomux tls tools
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_client.hpp"
#include "whole_run.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>

using namespace echomux::test;

namespace {

const std::string& certs() { return tls_cert_dir(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// echomux with a plaintext main port and a TLS listener (--tls-port) beside it.
struct TlsEchomux {
    TlsEchomux()
        : tls_port(free_port()), server({"--tls-port=" + std::to_string(tls_port), "--tls-cert=" + certs() + "/server.pem",
                                         "--tls-key=" + certs() + "/server.key"}) {
        BOOST_REQUIRE(server.listener_port("tls") == tls_port);
    }
    int tls_port;
    Server server;
};

// The TLS anchor on a free port; `client_ca`: it requires a client certificate signed by it.
struct Anchor {
    explicit Anchor(const std::string& client_ca = "") {
        // A port taken by another test between free_port() and bind: again, three times at most.
        for (int attempt = 0; attempt < 3 && !process; ++attempt) {
            port = free_port();
            std::vector<std::string> argv{tool_binary("echomux-tls-reference-server"), std::to_string(port),
                                          certs() + "/server.pem", certs() + "/server.key"};
            if (!client_ca.empty()) argv.push_back(client_ca);
            process = std::make_unique<Process>(argv);
            if (!process->wait_for_err("listening on", 10s)) process.reset();
        }
        BOOST_REQUIRE(process);
    }
    int port = 0;
    std::unique_ptr<Process> process;
};

Run client(const std::string& command, int port, std::vector<std::string> more, const std::string& input = "") {
    std::vector<std::string> argv{tool_binary("echomux-client"), command, "--port=" + std::to_string(port),
                                  "--host=localhost", "--timeout=20"};
    argv.insert(argv.end(), more.begin(), more.end());
    return run_to_end(argv, ProcessOptions{{}, {}, input});
}

std::vector<std::string> verified(std::vector<std::string> more = {}) {
    more.insert(more.begin(), {"--tls", "--tls-ca=" + certs() + "/ca.pem"});
    return more;
}

Run bench(int port, const std::string& workload, std::vector<std::string> more = {}) {
    std::vector<std::string> argv{tool_binary("echomux-bench"), "run", "--port=" + std::to_string(port), "--host=localhost",
                                  "--workload=" + workload, "--connections=4", "--warmup=0.1", "--duration=0.5",
                                  "--tls", "--tls-ca=" + certs() + "/ca.pem", "--stall-timeout=20", "--drain-timeout=20"};
    argv.insert(argv.end(), more.begin(), more.end());
    return run_to_end(argv, {}, 120s);
}

// A run that exited 0 with no error, spoke TLS `version`, and got back every byte it sent.
WholeRun verified_run(const Run& r, const std::string& workload, const std::string& version) {
    BOOST_TEST(r.status == 0, workload << ": " << r.out << r.err);
    BOOST_TEST(contains(r.out, "errors       0\n"), r.out);
    BOOST_TEST(contains(r.out, "tls          " + version + " "), r.out);
    const WholeRun whole = whole_run(r.err);
    BOOST_TEST(whole.sent > 0u);
    BOOST_TEST(whole.received == whole.sent);
    return whole;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(client_tls)

BOOST_AUTO_TEST_CASE(interactive_over_tls_gets_exactly_its_lines_back_and_names_the_version) {
    TlsEchomux echomux;
    const std::string lines = "hello over TLS\n" + std::string(40000, 'x') + "\nlast line\n";
    const Run r = client("interactive", echomux.tls_port, verified(), lines);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == lines);
    BOOST_TEST(contains(r.err, "TLSv1.3"), r.err);
}

BOOST_AUTO_TEST_CASE(two_socket_and_selectors_speak_tls_and_check_every_echo) {
    TlsEchomux echomux;
    const Run two = client("two-socket", echomux.tls_port, verified());
    BOOST_TEST(two.status == 0, two.err);
    BOOST_TEST(contains(two.out, "socket 2 speaks TLSv1.3"), two.out);
    BOOST_TEST(contains(two.out, "socket 2 received 'in parts.'"), two.out);
    const Run selectors = client("selectors", echomux.tls_port, verified());
    BOOST_TEST(selectors.status == 0, selectors.err);
    BOOST_TEST(contains(selectors.out, "Connection 1 speaks TLSv1.3"), selectors.out);
    BOOST_TEST(contains(selectors.out, "Closing connection 2"), selectors.out);
}

BOOST_AUTO_TEST_CASE(tls_max_version_1_2_is_what_is_negotiated) {
    TlsEchomux echomux;
    const Run r = client("selectors", echomux.tls_port, verified({"--tls-max-version=1.2"}));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "speaks TLSv1.2"), r.out);
}

BOOST_AUTO_TEST_CASE(a_wrong_ca_or_name_fails_with_a_clear_message_and_status_1) {
    TlsEchomux echomux;
    TempDir other("echomux-other-ca");
    BOOST_REQUIRE(std::system(("sh " ECHOMUX_SOURCE_DIR "/scripts/tls-certs.sh " + other.path() + " >/dev/null").c_str()) == 0);
    const Run wrong_ca = client("interactive", echomux.tls_port, {"--tls", "--tls-ca=" + other.path() + "/ca.pem"}, "x\n");
    BOOST_TEST(wrong_ca.status == 1);
    BOOST_TEST(contains(wrong_ca.err, "TLS handshake failed: certificate verify failed"), wrong_ca.err);
    BOOST_TEST(wrong_ca.out.empty(), wrong_ca.out);
    const Run wrong_name = client("two-socket", echomux.tls_port, verified({"--tls-sni=other.example"}));
    BOOST_TEST(wrong_name.status == 1);
    BOOST_TEST(contains(wrong_name.err, "hostname mismatch"), wrong_name.err);
    // Plaintext against the TLS port is no echo either (the server closes it).
    BOOST_TEST(client("interactive", echomux.tls_port, {}, "x\n").status == 1);
}

BOOST_AUTO_TEST_CASE(a_client_certificate_is_accepted_where_one_is_required) {
    Anchor anchor(certs() + "/ca.pem");
    const Run with_cert = client("interactive", anchor.port,
                                 verified({"--tls-cert=" + certs() + "/client.pem", "--tls-key=" + certs() + "/client.key"}),
                                 "mutual\n");
    BOOST_TEST(with_cert.status == 0, with_cert.err);
    BOOST_TEST(with_cert.out == "mutual\n");
    const Run without = client("interactive", anchor.port, verified(), "mutual\n");
    BOOST_TEST(without.status == 1, without.err);
    BOOST_TEST(without.out.empty(), without.out);
}

BOOST_AUTO_TEST_CASE(a_client_key_that_does_not_load_is_named) {
    TlsEchomux echomux;
    const Run r = client("interactive", echomux.tls_port,
                         verified({"--tls-cert=" + certs() + "/client.pem", "--tls-key=" + certs() + "/server.key"}), "x\n");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "does not match --tls-cert"), r.err);
}

BOOST_AUTO_TEST_CASE(udp_with_tls_and_tls_options_without_tls_are_usage_errors) {
    const Run udp = client("udp", 7, {"--tls", "--text=x"});
    BOOST_TEST(udp.status == 2);
    BOOST_TEST(contains(udp.err, "no TLS over UDP"), udp.err);
    const Run stray = client("interactive", 7, {"--tls-ca=/nonexistent"});
    BOOST_TEST(stray.status == 2);
    BOOST_TEST(contains(stray.err, "--tls-ca goes with --tls"), stray.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bench_tls)

BOOST_AUTO_TEST_CASE(pingpong_and_stream_over_tls_verify_every_byte) {
    TlsEchomux echomux;
    for (const std::string workload : {"pingpong", "stream"}) {
        const Run r = bench(echomux.tls_port, workload, {"--server-pid=" + std::to_string(echomux.server.process().pid())});
        verified_run(r, workload, "TLSv1.3");
    }
    echomux.server.stop();
    // The probe-free runs open 4 connections each, and every one of them shook hands.
    BOOST_TEST(echomux.server.counter("tls_handshakes_ok") == 8u);
}

BOOST_AUTO_TEST_CASE(the_handshake_workload_makes_a_full_handshake_per_connection) {
    TlsEchomux echomux;
    const Run r = bench(echomux.tls_port, "handshake", {"--server-pid=" + std::to_string(echomux.server.process().pid())});
    const WholeRun whole = verified_run(r, "handshake", "TLSv1.3");
    BOOST_TEST(std::regex_search(r.out, std::regex(R"(handshakes   [1-9][0-9]* \([0-9]+/s\).*server CPU [0-9.]+ us per connection)")),
               r.out);
    BOOST_TEST(whole.connections > 1u);
    echomux.server.stop();
    BOOST_TEST(echomux.server.counter("tls_handshakes_ok") == whole.connections);
}

BOOST_AUTO_TEST_CASE(tls_with_udp_is_refused) {
    const Run r = run_to_end({tool_binary("echomux-bench"), "run", "--workload=udp", "--tls"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, "no TLS over UDP"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls_anchor)

// 4 MiB of random bytes and our close_notify, read as they come back: every byte, in order,
// then the anchor's close_notify.
BOOST_AUTO_TEST_CASE(the_tls_anchor_echoes_exactly_and_answers_close_notify) {
    Anchor anchor;
    TlsClient c(anchor.port, verified_by(certs() + "/ca.pem"));
    BOOST_REQUIRE_MESSAGE(c.handshake_ok(), c.error());
    const auto bytes = random_bytes(4u << 20, 7);
    const std::string sent(bytes.begin(), bytes.end());
    bool clean = false;
    const std::string back = c.exchange(sent, &clean);
    BOOST_TEST(clean);
    BOOST_TEST(back.size() == sent.size());
    BOOST_TEST(sha256_hex(back.data(), back.size()) == sha256_hex(sent.data(), sent.size()));
}

BOOST_AUTO_TEST_CASE(the_bench_finds_the_anchor_echoing_under_every_tls_workload) {
    Anchor anchor;
    for (const std::string workload : {"pingpong", "stream", "handshake"}) {
        verified_run(bench(anchor.port, workload, {"--tls-max-version=1.2"}), workload, "TLSv1.2");
    }
}

BOOST_AUTO_TEST_SUITE_END()
