// SPDX-License-Identifier: BSL-1.0
// Faults in time, once per backend: delay (and jitter), bandwidth, the lifetime faults and
// accept_delay, each measured from the client side, with bounds the fault sets from below
// (it can never be faster than promised) and generous ones from above (a loaded machine).
#include "faulty_server.hpp"
#include "support/net.hpp"
#include "support/tls_client.hpp"
#include "echomux/util/socket_address.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

using namespace echomux::test;
using echomux::Fd;
using Clock = std::chrono::steady_clock;

namespace {
long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The round trips of `count` 16-byte messages on one connection, in ms.
std::vector<long long> round_trips(int port, int count) {
    Fd c = connect_to(port);
    std::vector<long long> times;
    for (int i = 0; i < count; ++i) {
        const std::string message = pattern(16);
        const auto start = Clock::now();
        send_all(c.get(), message);
        BOOST_REQUIRE(recv_exact(c.get(), message.size()) == message);
        times.push_back(ms_since(start));
    }
    return times;
}

long long median(std::vector<long long> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
}  // namespace

BOOST_AUTO_TEST_SUITE(timing_faults)

BOOST_AUTO_TEST_CASE(delay_holds_every_round_trip_at_least_the_delay) {
    Server server = faulty_server("delay = 200ms\n", {"--access-log=on"});
    const auto times = round_trips(server.listener_port("faulty"), 10);
    BOOST_TEST(*std::min_element(times.begin(), times.end()) >= 200);
    BOOST_TEST(median(times) < 260);
    BOOST_TEST(server.process().wait_for_err(" end=eof fault=delay", 5s), server.process().err());
    // The main listener beside it answers at once.
    BOOST_TEST(median(round_trips(server.port(), 8)) < 150);
}

// Jitter moves each delay within ±jitter, and a stream keeps its order byte for byte.
BOOST_AUTO_TEST_CASE(delay_jitter_varies_the_delay_and_keeps_the_bytes_in_order) {
    Server server = faulty_server("delay = 100ms\ndelay_jitter = 50ms\n");
    const auto times = round_trips(server.listener_port("faulty"), 12);
    BOOST_TEST(*std::min_element(times.begin(), times.end()) >= 50);
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(200'000);
    for (std::size_t at = 0; at < sent.size(); at += 1000) send_all(c.get(), sent.substr(at, 1000));
    ::shutdown(c.get(), SHUT_WR);
    const Received r = receive_until_end(c.get(), 20000);
    BOOST_TEST(r.end == 0);
    BOOST_TEST((r.bytes == sent));  // in order, nothing lost, nothing doubled
}

// 2 MiB paced to 1 MiB/s: no sooner than 1.99 s (a 10 ms burst is allowed), and not much later.
BOOST_AUTO_TEST_CASE(bandwidth_paces_the_echo_to_the_rate) {
    Server server = faulty_server("bandwidth = 1MiB\n");
    Fd c = connect_to(server.listener_port("faulty"));
    const std::string sent = pattern(2 << 20);
    const auto start = Clock::now();
    bool all_sent = false;
    std::thread sender([&] {  // the server stops reading while paced bytes fill its buffer
        all_sent = try_send_all(c.get(), sent.data(), sent.size());
        ::shutdown(c.get(), SHUT_WR);
    });
    const Received r = receive_until_end(c.get(), 10000);
    const long long took = ms_since(start);
    sender.join();
    BOOST_TEST(all_sent);
    BOOST_TEST(r.end == 0);
    BOOST_TEST((r.bytes == sent));
    BOOST_TEST(took >= 1990);
    BOOST_TEST(took < 4000);
}

BOOST_AUTO_TEST_CASE(close_after_ends_the_connection_with_a_fin_at_its_time) {
    Server server = faulty_server("close_after = 800ms\n", {"--access-log=on"});
    const auto start = Clock::now();  // before the connect: the fault's time counts from the accept
    Fd c = connect_to(server.listener_port("faulty"));
    send_all(c.get(), "still here");
    BOOST_TEST(recv_exact(c.get(), 10) == "still here");  // it echoes until then
    const Received r = receive_until_end(c.get(), 10000);
    const long long took = ms_since(start);
    BOOST_TEST(r.end == 0);
    BOOST_TEST(r.bytes.empty());
    BOOST_TEST(took >= 800);
    BOOST_TEST(took < 3000);
    c.reset();
    BOOST_TEST(server.process().wait_for_err(" end=fault_close fault=close_after", 5s), server.process().err());
}

BOOST_AUTO_TEST_CASE(reset_after_resets_the_connection_at_its_time) {
    Server server = faulty_server("reset_after = 500ms\n");
    const auto start = Clock::now();  // before the connect: the fault's time counts from the accept
    Fd c = connect_to(server.listener_port("faulty"));
    const Received r = receive_until_end(c.get(), 10000);
    BOOST_TEST(r.end == ECONNRESET);
    BOOST_TEST(ms_since(start) >= 500);
    server.stop();
    BOOST_TEST(server.counter("closed_fault_reset") == 1u);
}

// Accepted, then nothing, not even the greeting: what the client sent meanwhile is echoed after.
BOOST_AUTO_TEST_CASE(accept_delay_sends_nothing_until_its_time) {
    Server server = faulty_server("accept_delay = 600ms\ngreeting = hello\n");
    const auto start = Clock::now();  // before the connect: the fault's time counts from the accept
    Fd c = connect_to(server.listener_port("faulty"));
    send_all(c.get(), "early");
    BOOST_TEST(recv_exact(c.get(), 6) == "hello\n");
    BOOST_TEST(ms_since(start) >= 600);
    BOOST_TEST(recv_exact(c.get(), 5) == "early");
    // The main listener greets at once.
    Fd plain = connect_to(server.port());
    BOOST_TEST(!peer_closed_within(plain.get(), 0));
}

// A reload turns a fault on for new connections, and off again; an open one keeps its own.
BOOST_AUTO_TEST_CASE(a_reload_turns_a_delay_on_and_off) {
    const std::string conf = fault_conf("");
    Server server({"--config", conf});
    const int port = server.listener_port("faulty");
    BOOST_TEST(median(round_trips(port, 5)) < 150);
    fault_conf("delay = 300ms\n", conf);
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 10s));
    BOOST_REQUIRE(server.process().wait_for_err("reload: faulty.delay = 300ms", 1s));
    Fd delayed = connect_to(port);
    const auto on = round_trips(port, 3);
    BOOST_TEST(*std::min_element(on.begin(), on.end()) >= 300);
    fault_conf("", conf);
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 10s, 2));
    BOOST_TEST(median(round_trips(port, 5)) < 150);
    const auto start = Clock::now();
    send_all(delayed.get(), "kept");
    BOOST_TEST(recv_exact(delayed.get(), 4) == "kept");
    BOOST_TEST(ms_since(start) >= 300);  // opened under the delay: keeps it
}

// TLS alike: the delay counts from when a record is decrypted, and a half-close still
// brings back everything, then the server's close_notify.
BOOST_AUTO_TEST_CASE(a_delay_on_a_tls_listener_holds_the_plaintext) {
    const std::string& certs = tls_cert_dir();
    Server server = faulty_server("delay = 200ms\ntls_cert = " + certs + "/server.pem\ntls_key = " + certs +
                                  "/server.key\n");
    TlsOptions options;
    options.ca_file = certs + "/ca.pem";
    TlsClient client(server.listener_port("faulty"), options);
    BOOST_REQUIRE_MESSAGE(client.handshake_ok(), client.error());
    const auto start = Clock::now();
    BOOST_REQUIRE(client.write_all("sealed"));
    BOOST_TEST(client.read_exact(6) == "sealed");
    BOOST_TEST(ms_since(start) >= 200);
    bool clean = false;
    BOOST_TEST(client.exchange("and the rest", &clean) == "and the rest");
    BOOST_TEST(clean);
}

// On a udp listener: each reply held for the delay, and fault_probability drops that share
// (Binomial(300, 0.25): 40..110 dropped is more than five standard deviations either side).
BOOST_AUTO_TEST_CASE(udp_replies_wait_for_the_delay_and_a_share_is_dropped) {
    Server server = faulty_server("udp = on\ndelay = 200ms\nfault_probability = 0.25\n");
    const auto address = echomux::parse_socket_address("127.0.0.1", static_cast<std::uint16_t>(server.listener_port("faulty")));
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    std::vector<Clock::time_point> sent_at;
    int answered = 0;
    long long earliest = 1'000'000;
    // Replies are read while datagrams still go out (a ms apart), so that a burst of them
    // never overflows this socket's receive buffer: every one missing was dropped on purpose.
    const auto read_replies = [&](int wait_ms) {
        pollfd p{s.get(), POLLIN, 0};
        while (::poll(&p, 1, wait_ms) > 0) {
            char reply[64];
            const ssize_t n = ::recv(s.get(), reply, sizeof reply, 0);
            BOOST_REQUIRE(n > 0);
            const auto i = static_cast<std::size_t>(std::stoi(std::string(reply, static_cast<std::size_t>(n))));
            earliest = std::min<long long>(
                earliest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent_at.at(i)).count());
            ++answered;
            wait_ms = 0;
        }
    };
    for (int i = 0; i < 300; ++i) {
        const std::string datagram = std::to_string(i);
        sent_at.push_back(Clock::now());
        BOOST_REQUIRE(::sendto(s.get(), datagram.data(), datagram.size(), 0, address->get(), address->length) > 0);
        read_replies(1);
    }
    const auto start = Clock::now();
    while (ms_since(start) < 3000) read_replies(100);
    BOOST_TEST(earliest >= 200);
    BOOST_TEST(answered >= 190);
    BOOST_TEST(answered <= 260);
    server.stop();
    BOOST_TEST(server.counter("udp_fault_dropped") == static_cast<std::uint64_t>(300 - answered));
}

// fault_probability = 1 written out, as the shipped conf file does, drops nothing.
BOOST_AUTO_TEST_CASE(a_udp_listener_with_fault_probability_1_answers_every_datagram) {
    Server server = faulty_server("udp = on\nfault_probability = 1\n");
    const auto address = echomux::parse_socket_address("127.0.0.1", static_cast<std::uint16_t>(server.listener_port("faulty")));
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    set_receive_timeout(s.get(), 5000);
    for (int i = 0; i < 20; ++i) {
        const std::string datagram = "datagram " + std::to_string(i);
        BOOST_REQUIRE(::sendto(s.get(), datagram.data(), datagram.size(), 0, address->get(), address->length) > 0);
        char reply[64];
        const ssize_t n = ::recv(s.get(), reply, sizeof reply, 0);
        BOOST_TEST(std::string(reply, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == datagram);
    }
}

BOOST_AUTO_TEST_SUITE_END()
