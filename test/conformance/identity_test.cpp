// SPDX-License-Identifier: BSL-1.0
// Who answered, whom it saw: a greeting on connect and mode = prefix, with the environment
// (a pod name) and the addresses of the connection filled in.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <regex>
#include <thread>

using namespace echomux::test;

namespace {
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

// A greeting longer than the socket's send buffer and max_buffer_bytes: the first
// max_buffer_bytes of it arrive, as one line, then the echo, on every backend; the part the
// first send leaves waits like any reply and goes out as the client reads. (io_uring sent
// only what the socket took at once, and echoed nothing after.)
BOOST_AUTO_TEST_CASE(a_greeting_longer_than_the_socket_takes_arrives_then_the_echo) {
    const std::string part(96 * 1024, 'g');  // an environment string is at most 128 KiB
    std::string greeting;
    for (int i = 0; i < 100; ++i) greeting += "${BIG}";  // 9.4 MiB
    Server server({"--greeting=" + greeting, "--max-buffer-bytes=1MiB"}, ProcessOptions{{{"BIG", part}}, {}, {}});
    auto c = connect_with_small_window(server.port());
    set_receive_timeout(c.get(), 10'000);
    send_all(c.get(), "PING\n");
    const std::string expected = std::string((1 << 20) - 1, 'g') + "\nPING\n";
    const std::string got = recv_exact(c.get(), expected.size());
    BOOST_TEST(got.size() == expected.size());
    BOOST_TEST((got == expected));
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

namespace {
// The access log line for the client at `client` (its address as the server saw it).
std::string access_line(Server& server, const std::string& client, const std::string& end) {
    const std::string marker = "access listener=main client=" + client + " ";
    server.process().wait_for_err(marker, 5s);
    const std::string log = server.process().err();
    const auto at = log.find(marker);
    if (at == std::string::npos) return "(no access line for " + client + ")";
    const std::string line = log.substr(at, log.find('\n', at) - at);
    return line.find(" end=" + end) == std::string::npos ? line + " (expected end=" + end + ")" : line;
}

bool matches(const std::string& line, const std::string& pattern) { return std::regex_match(line, std::regex(pattern)); }
}  // namespace

// access_log = on: a line per connection as it ends, with both addresses, the bytes each
// way, the duration and why it ended.
BOOST_AUTO_TEST_CASE(access_log_says_who_connected_how_much_and_why_it_ended) {
    Server server({"--access-log=on", "--idle-timeout=300ms", "--max-connections=2", "--drain-timeout=100ms"});
    const std::string local = "127\\.0\\.0\\.1:" + std::to_string(server.port());
    auto quote = [](const std::string& address) { return std::regex_replace(address, std::regex("\\."), "\\."); };

    auto finished = connect_to(server.port());
    send_all(finished.get(), "hello");
    ::shutdown(finished.get(), SHUT_WR);
    BOOST_TEST(recv_until_eof(finished.get()) == "hello");
    const std::string eof = access_line(server, address_of(finished.get(), false), "eof");
    BOOST_TEST(matches(eof, "access listener=main client=" + quote(address_of(finished.get(), false)) + " local=" + local +
                                " received=5 sent=5 duration_ms=[0-9]+ end=eof"),
               eof);

    auto aborted = connect_to(server.port());
    send_all(aborted.get(), "xy");
    BOOST_REQUIRE(recv_exact(aborted.get(), 2) == "xy");
    const std::string aborted_address = address_of(aborted.get(), false);
    reset(aborted);
    const std::string reset_line = access_line(server, aborted_address, "reset");
    BOOST_TEST(matches(reset_line, "access listener=main client=" + quote(aborted_address) + " local=" + local +
                                       " received=2 sent=2 duration_ms=[0-9]+ end=reset"),
               reset_line);

    auto idle = connect_to(server.port());
    auto held = connect_to(server.port());
    send_all(held.get(), "held");
    BOOST_REQUIRE(recv_exact(held.get(), 4) == "held");
    auto extra = connect_to(server.port());  // a third while two are open: rejected
    BOOST_TEST(recv_until_eof(extra.get()).empty());
    const std::string rejected = access_line(server, address_of(extra.get(), false), "rejected");
    BOOST_TEST(matches(rejected, "access listener=main client=" + quote(address_of(extra.get(), false)) + " local=" + local +
                                     " received=0 sent=0 duration_ms=0 end=rejected"),
               rejected);
    const std::string idle_line = access_line(server, address_of(idle.get(), false), "idle");
    BOOST_TEST(matches(idle_line, "access listener=main client=" + quote(address_of(idle.get(), false)) + " local=" + local +
                                      " received=0 sent=0 duration_ms=(2[5-9][0-9]|3[0-4][0-9]) end=idle"),
               idle_line);

}

BOOST_AUTO_TEST_CASE(access_log_names_connections_closed_by_the_drain) {
    Server server({"--access-log=on", "--drain-timeout=100ms"});
    auto held = connect_to(server.port());
    send_all(held.get(), "held");
    BOOST_REQUIRE(recv_exact(held.get(), 4) == "held");
    server.process().signal(SIGTERM);
    BOOST_REQUIRE(server.process().wait(5s));
    const std::string drain = access_line(server, address_of(held.get(), false), "drain");
    BOOST_TEST(matches(drain, "access listener=main client=127\\.0\\.0\\.1:[0-9]+ local=127\\.0\\.0\\.1:" +
                                  std::to_string(server.port()) + " received=4 sent=4 duration_ms=[0-9]+ end=drain"),
               drain);
}

BOOST_AUTO_TEST_SUITE_END()
