// SPDX-License-Identifier: BSL-1.0
// UDP echo (udp = on): datagrams back whole over IPv4 and IPv6, transformed by the mode, on
// every loop's socket; no replies to reflection-prone source ports or over the per-source
// rate, each drop counted; TCP unaffected; no UDP socket at all with udp = off.
#include "support/net.hpp"
#include "support/process.hpp"

#include "echomux/util/socket_address.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {

const std::string kBlocked = "echomux_udp_dropped_datagrams_total{reason=\"blocked_port\"}";
const std::string kRateLimited = "echomux_udp_dropped_datagrams_total{reason=\"rate_limit\"}";
const std::string kTooLarge = "echomux_udp_dropped_datagrams_total{reason=\"too_large\"}";

// `family`'s loopback address (IPv4: 127.0.0.`host`) and `port`.
sockaddr_storage loopback(int family, int port, int host = 1) {
    sockaddr_storage s{};
    if (family == AF_INET6) {
        auto& a = reinterpret_cast<sockaddr_in6&>(s);
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        a.sin6_port = htons(static_cast<std::uint16_t>(port));
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(s);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(0x7f000000u + static_cast<std::uint32_t>(host));
        a.sin_port = htons(static_cast<std::uint16_t>(port));
    }
    return s;
}

socklen_t length_of(int family) { return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }

// A UDP socket on the loopback address of `family` (IPv4: 127.0.0.`host`), bound to
// `source_port` (0: any), with buffers big enough for the largest datagram; empty, with
// `error` set, when it cannot bind.
Fd try_udp_socket(int family, int source_port, int host, int& error) {
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(fd);
    const int size = 1 << 20;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    const sockaddr_storage self = loopback(family, source_port, host);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&self), length_of(family)) == 0) return fd;
    error = errno;
    return Fd();
}

Fd udp_socket(int family = AF_INET, int host = 1) {
    int error = 0;
    Fd fd = try_udp_socket(family, 0, host, error);
    BOOST_REQUIRE_MESSAGE(fd, "cannot bind a UDP socket: " << std::strerror(error));
    return fd;
}

// A socket on a well-known source port; the test fails, saying why, if it cannot bind one
// (a test of a blocked port must not pass because the port could not be used). Other test
// processes (the suite runs once per backend, in parallel) may hold the port on
// 127.0.0.1: then it is taken on another 127.0.0.x, 30 tries at most.
Fd udp_socket_on_port(int port) {
    int error = 0;
    for (int attempt = 0, host = 1 + ::getpid() % 200; attempt < 30; ++attempt, host = 2 + (host + 7) % 250) {
        if (Fd fd = try_udp_socket(AF_INET, port, host, error)) return fd;
        if (error != EADDRINUSE) break;
    }
    BOOST_FAIL("cannot bind UDP source port " << port << ": " << std::strerror(error)
                                              << echomux::bind_error_hint(error));
    return Fd();
}

void send_datagram(int fd, int port, const std::string& data, int family = AF_INET) {
    const sockaddr_storage to = loopback(family, port);
    BOOST_REQUIRE_EQUAL(::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                                 length_of(family)),
                        static_cast<ssize_t>(data.size()));
}

// The next datagram on `fd` within `timeout_ms`, or nullopt.
std::optional<std::string> receive_datagram(int fd, int timeout_ms = 5000) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    std::string data(65536, '\0');
    const ssize_t n = ::recv(fd, data.data(), data.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    data.resize(static_cast<std::size_t>(n));
    return data;
}

// Whether datagrams to `port` from a connected socket meet ICMP port unreachable
// (ECONNREFUSED) within 5 s: nobody serves UDP there (any more). An answer means someone
// still does: ask again, 20 times at most, 250 ms each.
bool udp_refused(int port) {
    Fd fd = udp_socket();
    const sockaddr_storage to = loopback(AF_INET, port);
    BOOST_REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), length_of(AF_INET)) == 0);
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (::send(fd.get(), "anyone?", 7, 0) < 0 && errno == ECONNREFUSED) return true;
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 250) <= 0) continue;
        char reply[16];
        if (::recv(fd.get(), reply, sizeof reply, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) return true;
    }
    return false;
}

// The UDP sockets process `pid` holds: its socket descriptors (/proc/PID/fd) that the
// kernel's UDP tables (/proc/net/udp, udp6) list, by inode.
int udp_sockets_of(pid_t pid) {
    std::set<std::string> inodes;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::error_code ignored;
        const std::string target = std::filesystem::read_symlink(entry.path(), ignored).string();
        if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    std::set<std::string> udp;  // a set: a table read while others change may list a socket twice
    for (const char* table : {"/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // the header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string field;
            for (int i = 0; i < 10; ++i) fields >> field;  // the 10th column is the inode
            if (inodes.count(field)) udp.insert(field);
        }
    }
    return static_cast<int>(udp.size());
}

// Polls (bounded, 5 s) until `pid` holds `expected` UDP sockets; returns the last count.
int wait_for_udp_sockets(pid_t pid, int expected) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int count = udp_sockets_of(pid);
    while (count != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);  // polling period, not a wait for something
        count = udp_sockets_of(pid);
    }
    return count;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(udp)

BOOST_AUTO_TEST_CASE(udp_datagrams_come_back_byte_for_byte_over_ipv4_and_ipv6) {
    Server server({"--udp=on", "--listen=::"});  // dual stack: IPv4 senders arrive as ::ffff:a.b.c.d
    const auto bytes = random_bytes(1400, 862);
    const std::string binary(bytes.begin(), bytes.end());  // zero bytes, 0xff, newlines: all as they are
    for (int family : {AF_INET, AF_INET6}) {
        BOOST_TEST_CONTEXT((family == AF_INET ? "IPv4" : "IPv6")) {
            Fd fd = udp_socket(family);
            for (const std::string& datagram : {std::string("hello"), binary, std::string()}) {
                send_datagram(fd.get(), server.port(), datagram, family);
                const auto reply = receive_datagram(fd.get());
                BOOST_REQUIRE(reply);
                BOOST_TEST((*reply == datagram));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(udp_upper_mode_upper_cases_the_datagram) {
    Server server({"--udp=on", "--mode=upper"});
    Fd fd = udp_socket();
    send_datagram(fd.get(), server.port(), "Hello, udp! \xe9\n");
    BOOST_TEST(receive_datagram(fd.get()).value_or("(none)") == "HELLO, UDP! \xe9\n");
}

// The prefix goes once before the whole datagram (lines inside it are not split), with %p
// the datagram's sender.
BOOST_AUTO_TEST_CASE(udp_prefix_mode_puts_the_prefix_before_the_datagram) {
    Server server({"--udp=on", "--mode=prefix", "--prefix=${POD_NAME} %p| "}, ProcessOptions{{{"POD_NAME", "pod-7"}}, {}, {}});
    Fd fd = udp_socket();
    send_datagram(fd.get(), server.port(), "one\ntwo");
    BOOST_TEST(receive_datagram(fd.get()).value_or("(none)") == "pod-7 " + address_of(fd.get()) + "| one\ntwo");
}

BOOST_AUTO_TEST_CASE(udp_largest_ipv4_datagram_comes_back_whole) {
    Server server({"--udp=on"});
    Fd fd = udp_socket();
    const auto bytes = random_bytes(65507, 7);
    const std::string datagram(bytes.begin(), bytes.end());
    send_datagram(fd.get(), server.port(), datagram);
    const auto reply = receive_datagram(fd.get());
    BOOST_REQUIRE(reply);
    BOOST_TEST(reply->size() == datagram.size());
    BOOST_TEST((*reply == datagram));
}

// A reply is never cut short: one that the prefix would take past 65,507 bytes is dropped
// and counted, and the next datagram is answered as usual.
BOOST_AUTO_TEST_CASE(udp_prefix_past_the_largest_datagram_drops_and_counts_it) {
    Server server = Server::with_metrics({"--udp=on", "--mode=prefix", "--prefix=> "});
    Fd fd = udp_socket();
    send_datagram(fd.get(), server.port(), std::string(65506, 'x'));  // 2 + 65,506 > 65,507
    send_datagram(fd.get(), server.port(), std::string(65505, 'y'));  // 2 + 65,505 fits exactly
    BOOST_TEST(receive_datagram(fd.get()).value_or("(none)") == "> " + std::string(65505, 'y'));
    BOOST_TEST(wait_for_metric(server.metrics_port(), kTooLarge, [](long long v) { return v == 1; }) == 1);
    // Counted just after the send: the reply may arrive first.
    BOOST_TEST(wait_for_metric(server.metrics_port(), "echomux_udp_sent_datagrams_total",
                               [](long long v) { return v == 1; }) == 1);
}

// SO_REUSEPORT spreads senders over the loops' sockets by their addresses and ports: from
// 64 source ports, both loops get some (all on one: 2^-63), and every sender its reply.
BOOST_AUTO_TEST_CASE(udp_every_loops_socket_answers_with_two_threads) {
    Server server({"--udp=on", "--threads=2"});
    for (int i = 0; i < 64; ++i) {
        Fd fd = udp_socket();
        const std::string datagram = "sender " + std::to_string(i);
        send_datagram(fd.get(), server.port(), datagram);
        BOOST_REQUIRE_MESSAGE(receive_datagram(fd.get()).value_or("(none)") == datagram, "sender " << i);
    }
    BOOST_REQUIRE_EQUAL(server.stop(), 0);
    const std::string err = server.process().err();
    const auto at = err.find("udp_received_per_loop=");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, err);
    unsigned first = 0, second = 0;
    BOOST_REQUIRE(std::sscanf(err.c_str() + at, "udp_received_per_loop=%u,%u", &first, &second) == 2);
    BOOST_TEST(first > 0u);
    BOOST_TEST(second > 0u);
    BOOST_TEST(first + second == 64u);
}

// Chargen (19) and echo (7) answer whatever arrives: replying to them would bounce
// datagrams between the two services forever. The datagram sent after them from an ordinary
// port is answered, and as one socket serves in order, their replies would be there by then.
BOOST_AUTO_TEST_CASE(udp_no_reply_to_source_port_19_or_7_and_each_is_counted) {
    Server server = Server::with_metrics({"--udp=on"});
    Fd chargen = udp_socket_on_port(19), echo = udp_socket_on_port(7), ordinary = udp_socket();
    send_datagram(chargen.get(), server.port(), "from chargen");
    send_datagram(echo.get(), server.port(), "from echo");
    send_datagram(ordinary.get(), server.port(), "from an ordinary port");
    BOOST_TEST(receive_datagram(ordinary.get()).value_or("(none)") == "from an ordinary port");
    BOOST_TEST(wait_for_metric(server.metrics_port(), kBlocked, [](long long v) { return v == 2; }) == 2);
    BOOST_TEST(!receive_datagram(chargen.get(), 0));
    BOOST_TEST(!receive_datagram(echo.get(), 0));
    BOOST_TEST(wait_for_metric(server.metrics_port(), "echomux_udp_sent_datagrams_total",
                               [](long long v) { return v == 1; }) == 1);  // counted just after the send
    BOOST_TEST(metric_sample(http_get(server.metrics_port(), "/metrics").body,
                             "echomux_udp_received_datagrams_total") == 3);
}

// 100 datagrams at once from one source, at 10 a second: about the burst (10) is answered,
// and every datagram is accounted for, answered or dropped for the rate.
BOOST_AUTO_TEST_CASE(udp_rate_per_source_drops_a_burst_beyond_it_and_counts_every_drop) {
    Server server = Server::with_metrics({"--udp=on", "--udp-rate-per-source=10"});
    const int metrics = server.metrics_port();
    Fd fd = udp_socket();
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) send_datagram(fd.get(), server.port(), "burst " + std::to_string(i));
    BOOST_REQUIRE(wait_for_metric(metrics, "echomux_udp_received_datagrams_total",
                                  [](long long v) { return v == 100; }) == 100);
    // The server took the 100 within this window, so the bucket refilled for at most this long.
    const double window = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string page = http_get(metrics, "/metrics").body;
    const long long sent = metric_sample(page, "echomux_udp_sent_datagrams_total");
    const long long dropped = metric_sample(page, kRateLimited);
    long long replied = 0;
    while (receive_datagram(fd.get(), 0)) ++replied;  // the server has sent them all by now
    BOOST_TEST(replied == sent);
    BOOST_TEST(dropped == 100 - replied);
    BOOST_TEST(replied >= 10);  // the burst: one second's worth
    BOOST_TEST(replied <= 10 + static_cast<long long>(10 * window) + 1, replied << " in " << window << " s");
    // Other source addresses have their own buckets. Two may share a slot of the table (a
    // chance of 1 in 4096 each), so two of three must be answered.
    int answered = 0;
    for (int host = 2; host <= 4; ++host) {
        Fd other = udp_socket(AF_INET, host);
        send_datagram(other.get(), server.port(), "another source");
        answered += receive_datagram(other.get()).value_or("(none)") == "another source";
    }
    BOOST_TEST(answered >= 2);
}

BOOST_AUTO_TEST_CASE(udp_on_leaves_tcp_on_the_same_port_working) {
    Server server({"--udp=on"});
    Fd tcp = connect_to(server.port());
    Fd udp = udp_socket();
    send_all(tcp.get(), "over tcp");
    send_datagram(udp.get(), server.port(), "over udp");
    BOOST_TEST(recv_exact(tcp.get(), 8) == "over tcp");
    BOOST_TEST(receive_datagram(udp.get()).value_or("(none)") == "over udp");
}

BOOST_AUTO_TEST_CASE(udp_off_opens_no_udp_socket) {
    Server server({"--threads=2"});
    BOOST_TEST(udp_sockets_of(server.process().pid()) == 0);
    BOOST_TEST(udp_refused(server.port()));
    Server with_udp({"--threads=2", "--udp=on"});  // the count sees them when they are there
    BOOST_TEST(udp_sockets_of(with_udp.process().pid()) == 2);
    Fd tcp = connect_to(server.port());  // the server is there, for TCP
}

// Draining closes the UDP sockets at once, while a TCP client still finishes. (Whether a
// datagram then meets ICMP port unreachable is not asked: with tests in parallel, another
// server may bind the freed port number at once.)
BOOST_AUTO_TEST_CASE(udp_stops_when_draining_begins) {
    Server server({"--udp=on", "--threads=2"});
    Fd held = connect_to(server.port());
    Fd udp = udp_socket();
    send_datagram(udp.get(), server.port(), "before");
    BOOST_REQUIRE(receive_datagram(udp.get()).value_or("(none)") == "before");
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait_for_err("no longer accepting", 10s));
    BOOST_TEST(wait_for_udp_sockets(server.process().pid(), 0) == 0);
    send_all(held.get(), "still served");
    BOOST_TEST(recv_exact(held.get(), 12) == "still served");
    held.reset();
    BOOST_TEST(server.process().wait(10s).value_or(-1) == 0);  // the drain is over
}

BOOST_AUTO_TEST_SUITE_END()
