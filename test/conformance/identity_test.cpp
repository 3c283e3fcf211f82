// Who answered, whom it saw: a greeting on connect and mode = prefix, with the environment
// (a pod name) and the addresses of the connection filled in.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

using namespace echomux::test;

namespace {
// "127.0.0.1:40312" for our end (peer = false) or the server's end of `fd`.
std::string address_of(int fd, bool peer) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (peer) ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len);
    else ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

ProcessOptions with_pod_name() { return ProcessOptions{{{"POD_NAME", "pod-7"}}, {}, {}}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(identity)

BOOST_AUTO_TEST_CASE(greeting_says_which_server_and_which_client) {
    Server server({"--greeting=hello from ${POD_NAME}: you are %p, I am %l, 100%%"}, with_pod_name());
    auto c = connect_to(server.port());
    const std::string expected =
        "hello from pod-7: you are " + address_of(c.get(), false) + ", I am " + address_of(c.get(), true) + ", 100%\n";
    BOOST_TEST(recv_exact(c.get(), expected.size()) == expected);
    send_all(c.get(), "then echo");  // and then plain echo
    BOOST_TEST(recv_exact(c.get(), 9) == "then echo");
}

// Each line comes back after the prefix, wherever the reads split it, including a last
// line without "\n" (istio's tcp-echo drops that one).
BOOST_AUTO_TEST_CASE(prefix_mode_answers_every_line_whatever_the_fragmentation) {
    Server server({"--mode=prefix", "--prefix=${POD_NAME} %p| "}, with_pod_name());
    auto c = connect_to(server.port());
    const std::string input = "one\ntwo\n\nthree";
    for (char byte : input) send_all(c.get(), &byte, 1);  // a byte per segment
    ::shutdown(c.get(), SHUT_WR);
    const std::string p = "pod-7 " + address_of(c.get(), false) + "| ";
    bool clean_eof = false;
    BOOST_TEST(recv_until_eof(c.get(), &clean_eof) == p + "one\n" + p + "two\n" + p + "\n" + p + "three");
    BOOST_TEST(clean_eof);
}

// A line far longer than max_buffer_bytes (4 KiB, 1000 times shorter) is passed through in
// pieces, never held whole: holding it would need the 4 MiB the server may not take.
BOOST_AUTO_TEST_CASE(prefix_mode_passes_a_long_line_through_in_pieces) {
    Server server({"--mode=prefix", "--prefix=> ", "--max-buffer-bytes=4KiB"});
    auto c = connect_to(server.port());
    const std::string line(4u << 20, 'L');
    bool sent = false;
    std::thread writer([&] {
        sent = try_send_all(c.get(), line.data(), line.size()) && try_send_all(c.get(), "\nend", 4);
        ::shutdown(c.get(), SHUT_WR);
    });
    bool clean_eof = false;
    const std::string back = recv_until_eof(c.get(), &clean_eof);
    writer.join();
    BOOST_TEST(sent);
    BOOST_TEST(clean_eof);
    BOOST_TEST(back.size() == line.size() + 2 + 2 + 4);
    BOOST_TEST((back == "> " + line + "\n> end"));
}

BOOST_AUTO_TEST_SUITE_END()
