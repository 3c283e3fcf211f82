// SPDX-License-Identifier: BSL-1.0
// `echomux --healthcheck`, the probe a container HEALTHCHECK runs: it reads the same conf
// and environment as the server, asks that server's /healthz, and says so by exit status.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <map>

using namespace echomux::test;
using echomux::Fd;

namespace {
struct Probe {
    int status;
    std::string out;
};

Probe probe(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), echomux_binary());
    args.push_back("--healthcheck");
    Process p(args, ProcessOptions{std::move(env), {}, {}});
    const auto status = p.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "echomux --healthcheck did not exit");
    return {*status, p.out()};
}

std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/healthz"; }
}  // namespace

BOOST_AUTO_TEST_SUITE(healthcheck)

// The port comes from the environment, as `podman run -e ECHOMUX_METRICS_PORT=...` moves it.
BOOST_AUTO_TEST_CASE(healthcheck_probes_the_metrics_port_the_environment_gives) {
    Server server = Server::with_metrics();
    const int port = server.metrics_port();
    const Probe healthy = probe({}, {{"ECHOMUX_METRICS_PORT", std::to_string(port)}});
    BOOST_TEST(healthy.status == 0);
    BOOST_TEST(healthy.out == "healthy: GET " + url(port) + ": 200 OK\n");
    // metrics_listen = ::, but the server listens on 127.0.0.1 only (as a host without IPv6
    // would): ::1 refuses, 127.0.0.1 answers.
    const Probe wildcard = probe({"--metrics-listen=::", "--metrics-port=" + std::to_string(port)});
    BOOST_TEST(wildcard.status == 0);
    BOOST_TEST(wildcard.out == "healthy: GET " + url(port) + ": 200 OK\n");
}

BOOST_AUTO_TEST_CASE(healthcheck_fails_once_the_server_is_stopping) {
    Server server = Server::with_metrics({"--shutdown-delay=10"});
    const int port = server.metrics_port();
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait_for_err("received SIGTERM", 5s));
    const Probe stopping = probe({"--metrics-port=" + std::to_string(port)});
    BOOST_TEST(stopping.status == 1);
    BOOST_TEST(stopping.out == "unhealthy: GET " + url(port) + ": 503 Service Unavailable (shutting down)\n");
}

BOOST_AUTO_TEST_CASE(healthcheck_fails_when_nothing_answers_or_nothing_is_configured) {
    const int nobody = free_port();
    const Probe refused = probe({"--metrics-port=" + std::to_string(nobody)});
    BOOST_TEST(refused.status == 1);
    BOOST_TEST(refused.out == "unhealthy: GET " + url(nobody) + ": Connection refused\n");

    const Probe off = probe({});
    BOOST_TEST(off.status == 1);
    BOOST_TEST(off.out == "unhealthy: metrics_port = 0: no /healthz to probe (set metrics_port)\n");

    const Probe bad = probe({"--metrics-port=http"});
    BOOST_TEST(bad.status == 2);
}

// A listener that takes the connection (the kernel's backlog) but never answers: the probe
// gives up after its 2 s, not when the container runtime kills it.
BOOST_AUTO_TEST_CASE(healthcheck_gives_up_on_a_silent_endpoint_within_its_timeout) {
    Fd silent(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    BOOST_REQUIRE(::bind(silent.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    BOOST_REQUIRE(::listen(silent.get(), 4) == 0);
    BOOST_REQUIRE(::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const int port = ntohs(address.sin_port);

    const auto started = std::chrono::steady_clock::now();
    const Probe timed_out = probe({"--metrics-port=" + std::to_string(port)});
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST(timed_out.status == 1);
    BOOST_TEST(timed_out.out.rfind("unhealthy: GET " + url(port) + ": ", 0) == 0, timed_out.out);
    BOOST_TEST((took >= 1900ms && took < 6s), std::chrono::duration<double>(took).count() << " s");
}

BOOST_AUTO_TEST_SUITE_END()
