// SPDX-License-Identifier: BSL-1.0
// proxy_protocol: a load balancer's PROXY header (v1 text, v2 binary) names the client.
// It is read before anything is echoed, never echoed, and whatever breaks it closes that
// connection only, counted by reason.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <regex>
#include <string>

using namespace echomux::test;

namespace {
const std::string kV1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1111 7007\r\n";

// A v2 header: PROXY (or LOCAL) over TCP, IPv6 2001:db8::1 port 4242 -> 2001:db8::2 port
// 7007, with a 5-byte TLV after the addresses (skipped by the server).
std::string v2_header(bool local = false) {
    std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
    h += static_cast<char>(local ? 0x20 : 0x21);  // version 2, command LOCAL / PROXY
    h += static_cast<char>(0x21);                 // AF_INET6, STREAM
    const std::size_t body = 36 + 5;
    h += static_cast<char>(body >> 8);
    h += static_cast<char>(body & 0xff);
    unsigned char addresses[36] = {};
    ::inet_pton(AF_INET6, "2001:db8::1", addresses);
    ::inet_pton(AF_INET6, "2001:db8::2", addresses + 16);
    addresses[32] = 4242 >> 8;
    addresses[33] = 4242 & 0xff;
    addresses[34] = 7007 >> 8;
    addresses[35] = 7007 & 0xff;
    h.append(reinterpret_cast<const char*>(addresses), sizeof addresses);
    h.append("\x04\x00\x02hi", 5);  // PP2_TYPE_NOOP, length 2
    return h;
}

// Nothing arrives (no byte, no FIN, no reset) for `ms`.
bool quiet_for(int fd, int ms) {
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, ms) == 0;
}

// Each byte in a segment of its own: Nagle off, and the server has had its chance to read
// every byte alone (it must not answer a header that is not whole yet).
void send_byte_by_byte(int fd, const std::string& bytes) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    for (char byte : bytes) {
        send_all(fd, &byte, 1);
        BOOST_REQUIRE(quiet_for(fd, 2));  // nothing back, still open
    }
}

std::string proxy_errors(const std::string& reason) {
    return "echomux_proxy_errors_total{reason=\"" + reason + "\"}";
}

// A client that must see its connection end without a byte echoed.
void expect_closed_unanswered(int fd) {
    BOOST_TEST(recv_until_eof(fd).empty());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol)

BOOST_AUTO_TEST_CASE(v1_header_names_the_client_and_is_never_echoed) {
    Server server({"--proxy-protocol=required", "--greeting=you are %p", "--access-log=on"});
    auto c = connect_to(server.port());
    send_all(c.get(), kV1 + "hi");
    ::shutdown(c.get(), SHUT_WR);
    bool clean_eof = false;
    BOOST_TEST(recv_until_eof(c.get(), &clean_eof) == "you are 1.2.3.4:1111\nhi");
    BOOST_TEST(clean_eof);
    BOOST_TEST(server.process().wait_for_err("access listener=main client=1.2.3.4:1111 ", 5s));
    const std::string log = server.process().err();
    BOOST_TEST(std::regex_search(log, std::regex("access listener=main client=1\\.2\\.3\\.4:1111 local=127\\.0\\.0\\.1:" +
                                                 std::to_string(server.port()) +
                                                 " received=2 sent=23 duration_ms=[0-9]+ end=eof\n")),
               log);
}

BOOST_AUTO_TEST_CASE(v2_header_delivered_byte_by_byte_names_the_client_in_every_prefix) {
    Server server({"--proxy-protocol=required", "--mode=prefix", "--prefix=%p> "});
    auto c = connect_to(server.port());
    send_byte_by_byte(c.get(), v2_header());
    send_all(c.get(), "a\nb");
    ::shutdown(c.get(), SHUT_WR);
    BOOST_TEST(recv_until_eof(c.get()) == "[2001:db8::1]:4242> a\n[2001:db8::1]:4242> b");
}

BOOST_AUTO_TEST_CASE(v1_header_byte_by_byte_then_the_data_in_the_same_segment_as_its_end) {
    Server server({"--proxy-protocol=required", "--mode=prefix", "--prefix=%p> "});
    auto c = connect_to(server.port());
    send_byte_by_byte(c.get(), kV1.substr(0, kV1.size() - 1));
    send_all(c.get(), "\nline\n");  // the header's last byte and the client's first line
    const std::string expected = "1.2.3.4:1111> line\n";
    BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
}

// LOCAL (a load balancer's own health check) and UNKNOWN carry no client: the socket's
// peer is the client.
BOOST_AUTO_TEST_CASE(v2_local_and_v1_unknown_keep_the_socket_peer) {
    Server server({"--proxy-protocol=required", "--greeting=%p"});
    for (const std::string& header : {v2_header(true), std::string("PROXY UNKNOWN\r\n")}) {
        auto c = connect_to(server.port());
        send_all(c.get(), header + "x");
        const std::string expected = address_of(c.get()) + "\nx";
        BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
    }
}

// optional: a header is used when the first bytes are one; otherwise those bytes are the
// client's, even when they start like one ("PROX...").
BOOST_AUTO_TEST_CASE(optional_mode_serves_clients_with_and_without_a_header) {
    Server server({"--proxy-protocol=optional", "--greeting=%p"});
    auto proxied = connect_to(server.port());
    send_all(proxied.get(), kV1 + "hi");
    BOOST_TEST(recv_exact(proxied.get(), 15) == "1.2.3.4:1111\nhi");

    auto direct = connect_to(server.port());
    send_byte_by_byte(direct.get(), "PROX");
    send_all(direct.get(), "IMITY\n");
    const std::string expected = address_of(direct.get()) + "\nPROXIMITY\n";
    BOOST_TEST(recv_exact(direct.get(), expected.size()) == expected);

    auto ended = connect_to(server.port());  // "PRO" and EOF: still the client's bytes
    send_all(ended.get(), "PRO");
    ::shutdown(ended.get(), SHUT_WR);
    BOOST_TEST(recv_until_eof(ended.get()) == address_of(ended.get()) + "\nPRO");
}

// optional: a client that waits to be greeted before it speaks is greeted once
// proxy_header_timeout has passed.
BOOST_AUTO_TEST_CASE(optional_mode_greets_a_silent_client_after_the_header_timeout) {
    Server server({"--proxy-protocol=optional", "--proxy-header-timeout=200ms", "--greeting=hello %p"});
    auto c = connect_to(server.port());
    BOOST_TEST(quiet_for(c.get(), 100));  // no greeting before the header could come
    const std::string expected = "hello " + address_of(c.get()) + "\n";
    BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
    send_all(c.get(), "then echo");
    BOOST_TEST(recv_exact(c.get(), 9) == "then echo");
}

// optional: bytes that could still have begun a header ("\r\n", Enter in a terminal) are
// the client's once proxy_header_timeout has passed, and are echoed then, with nothing
// more sent to prompt it.
BOOST_AUTO_TEST_CASE(optional_mode_echoes_a_possible_header_start_at_the_timeout) {
    Server server({"--proxy-protocol=optional", "--proxy-header-timeout=200ms", "--greeting=hi"});
    for (const std::string start : {"\r\n", "PROX"}) {
        auto c = connect_to(server.port());
        send_all(c.get(), start);
        const std::string expected = "hi\n" + start;
        BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
    }
}

BOOST_AUTO_TEST_CASE(off_mode_echoes_a_header_like_any_bytes) {
    Server server;
    auto c = connect_to(server.port());
    send_all(c.get(), kV1);
    BOOST_TEST(recv_exact(c.get(), kV1.size()) == kV1);
}

// Each way a header can fail closes that connection, unanswered, counted by reason; a
// client in the middle of a conversation never notices.
BOOST_AUTO_TEST_CASE(bad_headers_are_closed_and_counted_while_another_client_is_served) {
    Server server = Server::with_metrics({"--proxy-protocol=required", "--proxy-header-timeout=300ms"});
    auto bystander = connect_to(server.port());
    send_all(bystander.get(), kV1 + "before ");
    BOOST_REQUIRE(recv_exact(bystander.get(), 7) == "before ");

    auto malformed = connect_to(server.port());
    send_all(malformed.get(), "PROXY TCP4 1.2.3.400 5.6.7.8 1111 7007\r\nhi");
    expect_closed_unanswered(malformed.get());

    auto oversized = connect_to(server.port());
    send_all(oversized.get(), "PROXY UNKNOWN " + std::string(200, 'x') + "\r\n");
    expect_closed_unanswered(oversized.get());

    std::string huge_v2 = v2_header().substr(0, 14);
    huge_v2 += "\xff\xff";  // 65,535 bytes of addresses and TLVs announced
    auto oversized_v2 = connect_to(server.port());
    send_all(oversized_v2.get(), huge_v2);
    expect_closed_unanswered(oversized_v2.get());

    auto missing = connect_to(server.port());
    send_all(missing.get(), "hello\n");
    expect_closed_unanswered(missing.get());

    auto truncated = connect_to(server.port());
    send_all(truncated.get(), kV1.substr(0, 20));
    ::shutdown(truncated.get(), SHUT_WR);
    expect_closed_unanswered(truncated.get());

    auto silent = connect_to(server.port());
    send_all(silent.get(), "PROXY TCP4 ");
    expect_closed_unanswered(silent.get());  // after proxy_header_timeout

    auto checked = connect_to(server.port());  // connects and leaves: a health check, no error
    ::shutdown(checked.get(), SHUT_WR);
    expect_closed_unanswered(checked.get());

    send_all(bystander.get(), "after");
    BOOST_TEST(recv_exact(bystander.get(), 5) == "after");

    const int port = server.metrics_port();
    auto is = [](long long want) { return [want](long long v) { return v == want; }; };
    BOOST_TEST(wait_for_metric(port, proxy_errors("malformed"), is(1)) == 1);
    BOOST_TEST(wait_for_metric(port, proxy_errors("oversized"), is(2)) == 2);
    BOOST_TEST(wait_for_metric(port, proxy_errors("missing"), is(1)) == 1);
    BOOST_TEST(wait_for_metric(port, proxy_errors("truncated"), is(1)) == 1);
    BOOST_TEST(wait_for_metric(port, proxy_errors("timeout"), is(1)) == 1);
    BOOST_TEST(wait_for_metric(port, "echomux_proxy_headers_total", is(1)) == 1);
    BOOST_TEST(wait_for_metric(port, "echomux_connections_closed_total{reason=\"proxy_error\"}", is(6)) == 6);
    BOOST_TEST(server.process().wait_for_err("PROXY header from 127.0.0.1:", 5s));
}

BOOST_AUTO_TEST_CASE(a_header_timeout_closes_at_the_deadline_not_before) {
    Server server({"--proxy-protocol=required", "--proxy-header-timeout=400ms"});
    auto c = connect_to(server.port());
    send_all(c.get(), "PROXY");
    BOOST_TEST(quiet_for(c.get(), 250));
    BOOST_TEST(peer_closed_within(c.get(), 2000));
}

BOOST_AUTO_TEST_SUITE_END()
