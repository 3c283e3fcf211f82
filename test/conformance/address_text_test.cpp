// SPDX-License-Identifier: BSL-1.0
// Addresses as people write them: an IPv4 client is "127.0.0.1:60352" in %p, %l, the access
// log and UDP prefixes, also when a dual-stack listener (listen = ::, the Kubernetes default)
// sees it as ::ffff:127.0.0.1, and when a PROXY header names it IPv4-mapped. IPv6 clients
// keep their brackets.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <regex>

using namespace echomux::test;
using echomux::Fd;

namespace {
// A PROXY v2 header for TCP over IPv6 from `source`, port 1111, to ::1, port 80.
std::string proxy_v2_tcp6(const char* source) {
    std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
    header += "\x21\x21";               // v2 PROXY; TCP over IPv6
    header += std::string("\x00\x24", 2);  // 36 address bytes
    in6_addr from{}, to{};
    ::inet_pton(AF_INET6, source, &from);
    ::inet_pton(AF_INET6, "::1", &to);
    header.append(reinterpret_cast<const char*>(&from), 16);
    header.append(reinterpret_cast<const char*>(&to), 16);
    header += std::string("\x04\x57\x00\x50", 4);  // 1111, 80
    return header;
}

// One line, up to and with its "\n" (or what came before the peer closed or went quiet).
std::string recv_line(int fd) {
    std::string line;
    char c;
    while (line.find('\n') == std::string::npos && ::recv(fd, &c, 1, 0) == 1) line += c;
    return line;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(address_text)

BOOST_AUTO_TEST_CASE(an_ipv4_client_of_a_dual_stack_listener_is_named_as_ipv4) {
    Server server({"--listen=::", "--greeting=you are %p, I am %l", "--access-log=on"});
    auto c = connect_to(server.port(), "127.0.0.1");
    const std::string client = address_of(c.get(), false), local = "127.0.0.1:" + std::to_string(server.port());
    const std::string expected = "you are " + client + ", I am " + local + "\n";
    BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
    c.reset();
    BOOST_TEST(server.process().wait_for_err("access listener=main client=" + client + " local=" + local + " ", 5s),
               server.process().err());
    BOOST_TEST(server.process().err().find("::ffff:") == std::string::npos, server.process().err());
}

BOOST_AUTO_TEST_CASE(an_ipv6_client_keeps_its_brackets) {
    Server server({"--listen=::", "--greeting=%p %l"});
    auto c = connect_to(server.port(), "::1");
    const std::string got = recv_line(c.get());
    BOOST_TEST(std::regex_match(got, std::regex("\\[::1\\]:[0-9]+ \\[::1\\]:" + std::to_string(server.port()) + "\n")),
               got);
}

BOOST_AUTO_TEST_CASE(a_proxy_header_naming_an_ipv4_mapped_source_names_it_as_ipv4) {
    Server server({"--proxy-protocol=required", "--greeting=%p"});
    auto v1 = connect_to(server.port());
    send_all(v1.get(), "PROXY TCP6 ::ffff:192.0.2.1 ::1 1111 80\r\n");
    BOOST_TEST(recv_exact(v1.get(), 15) == "192.0.2.1:1111\n");
    auto v2 = connect_to(server.port());
    send_all(v2.get(), proxy_v2_tcp6("::ffff:192.0.2.7"));
    BOOST_TEST(recv_exact(v2.get(), 15) == "192.0.2.7:1111\n");
    auto v6 = connect_to(server.port());  // a real IPv6 source is left as it is
    send_all(v6.get(), proxy_v2_tcp6("2001:db8::1"));
    BOOST_TEST(recv_exact(v6.get(), 19) == "[2001:db8::1]:1111\n");
}

BOOST_AUTO_TEST_CASE(an_ipv4_udp_sender_to_a_dual_stack_socket_is_named_as_ipv4) {
    Server server({"--listen=::", "--udp=on", "--mode=prefix", "--prefix=%p| "});
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    set_receive_timeout(fd.get(), 5000);
    BOOST_REQUIRE(::send(fd.get(), "ping", 4, 0) == 4);
    char reply[256];
    const ssize_t n = ::recv(fd.get(), reply, sizeof reply, 0);
    BOOST_TEST(std::string(reply, n > 0 ? n : 0) == address_of(fd.get(), false) + "| ping");
}

BOOST_AUTO_TEST_SUITE_END()
