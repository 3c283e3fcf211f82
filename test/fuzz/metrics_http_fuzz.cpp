// SPDX-License-Identifier: BSL-1.0
// The metrics endpoint's request handling, through the real handler: the input is what a
// client sends to /metrics's port. HttpSession (metrics_server.cpp) reads and answers on a
// socket and has no entry point without one, so the target runs a real MetricsServer on
// 127.0.0.1 and each input is one loopback connection: the bytes (the first one chooses
// whether the server is stopping/draining), our FIN, then everything the server answers up
// to its close. Failures: a crash or UB in the server (ASan/UBSan see its thread too), no
// close within a few seconds of our FIN, an answer that is not HTTP/1.x with a status the
// endpoint gives (200, 400, 404, 405, 413, 431, 503).
//
// Slower than a socketless target (a connection per input); see test/fuzz/README.md for the
// small refactor that would let a target call the handler directly.
#include "echomux/core/shared_state.hpp"
#include "echomux/core/stats.hpp"
#include "echomux/server/metrics.hpp"
#include "echomux/server/metrics_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace echomux;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& answer = "") {
    std::fprintf(stderr, "metrics_http fuzz: %s\n%s\n", what.c_str(), answer.substr(0, 400).c_str());
    std::abort();
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        fail("no free port on 127.0.0.1");
    ::close(fd);
    return ntohs(a.sin_port);
}

Config endpoint_config() {
    Config c;
    c.metrics_listen = "127.0.0.1";
    c.metrics_port = free_port();
    return c;
}

// One endpoint for the whole run, as the server has one.
struct Endpoint {
    Endpoint()
        : shared(endpoint_config()),
          server(MetricsSource{shared, {{&shared, {&stats}}}, draining, stopping}) {}
    SharedState shared;
    Stats stats;
    std::atomic<bool> draining{false}, stopping{false};
    MetricsServer server;
};

Endpoint& endpoint() {
    static Endpoint* e = new Endpoint;  // never destroyed: its thread serves until exit
    return *e;
}

// The host's loopback is shared: another suite's churn can use up its ephemeral ports for a
// moment (EADDRNOTAVAIL), which says nothing of the endpoint; that is retried for up to 2 s,
// and any other failure names its errno. (A CI dry run once failed here, after 5,874 inputs,
// with no errno to tell why; the input replayed clean.)
int connect_to(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0;; ++attempt) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            ::fcntl(fd, F_SETFL, O_NONBLOCK);
            return fd;
        }
        const int error = errno;
        if (fd >= 0) ::close(fd);
        const bool host_busy = error == EADDRNOTAVAIL || error == EAGAIN || error == EINTR;
        if (!host_busy || attempt == 200) fail(std::string("cannot connect to the endpoint: ") + std::strerror(error));
        ::usleep(10 * 1000);
    }
}

// Sends `request` and then FIN while reading all the answers (a pipelined flood of
// /metrics requests fills the socket both ways), up to the server's close.
std::string exchange(std::uint16_t port, const std::string& request) {
    const int fd = connect_to(port);
    std::string answer;
    std::size_t sent = 0;
    bool fin = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    for (;;) {
        if (sent == request.size() && !fin) {
            ::shutdown(fd, SHUT_WR);
            fin = true;
        }
        pollfd p{fd, static_cast<short>(POLLIN | (fin ? 0 : POLLOUT)), 0};
        ::poll(&p, 1, 100);
        if (std::chrono::steady_clock::now() > deadline) fail("the endpoint did not close within 4 s of our FIN", answer);
        if (!fin && (p.revents & POLLOUT)) {
            const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n > 0) sent += static_cast<std::size_t>(n);
            if (n < 0 && errno != EAGAIN) sent = request.size();  // reset by the server: stop sending
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char chunk[65536];
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n > 0) answer.append(chunk, static_cast<std::size_t>(n));
            if (n == 0 || (n < 0 && errno != EAGAIN)) break;  // closed (or reset: a refusal may end so)
        }
    }
    ::close(fd);
    return answer;
}

void check_status_line(const std::string& answer, std::size_t at) {
    static const char* const kStatuses[] = {"200", "400", "404", "405", "413", "431", "503"};
    if (answer.compare(at, 9, "HTTP/1.1 ") != 0 && answer.compare(at, 9, "HTTP/1.0 ") != 0)
        fail("an answer that does not start with an HTTP/1.x status line", answer.substr(at));
    for (const char* s : kStatuses)
        if (answer.compare(at + 9, 3, s) == 0) return;
    fail("a status the endpoint does not give", answer.substr(at));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 16 * 1024) return 0;
    Endpoint& e = endpoint();
    e.stopping = (data[0] & 1) != 0;
    e.draining = (data[0] & 2) != 0;
    const std::string request(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string answer = exchange(e.shared.config.metrics_port, request);
    if (!answer.empty()) check_status_line(answer, 0);
    return 0;
}
