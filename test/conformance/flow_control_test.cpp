// Partial writes, half-close and backpressure: the places textbook echo servers lose
// or hoard bytes.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <thread>

using namespace echomux::test;

BOOST_AUTO_TEST_SUITE(flow_control)

// The client sends 8 MiB and shuts down its write side before reading anything: the
// server must still echo every byte (it can hold only max_buffer_bytes; the rest waits in
// the kernel), and only then close.
BOOST_AUTO_TEST_CASE(half_close_flushes_pending_bytes) {
    Server server;
    auto c = connect_to(server.port());
    const std::size_t size = 8u << 20;
    const auto payload = random_bytes(size, 7);
    send_all(c.get(), payload.data(), payload.size());
    BOOST_REQUIRE(::shutdown(c.get(), SHUT_WR) == 0);
    bool clean_eof = false;
    const std::string echoed = recv_until_eof(c.get(), &clean_eof);
    BOOST_TEST(clean_eof);
    BOOST_REQUIRE_EQUAL(echoed.size(), size);
    BOOST_TEST(std::equal(echoed.begin(), echoed.end(), payload.begin(), [](char a, unsigned char b) {
        return static_cast<unsigned char>(a) == b;
    }));
}

// Half-close with nothing pending: the server closes its side at once.
BOOST_AUTO_TEST_CASE(half_close_with_nothing_pending_closes) {
    Server server;
    auto c = connect_to(server.port());
    send_all(c.get(), "last words");
    BOOST_REQUIRE(::shutdown(c.get(), SHUT_WR) == 0);
    bool clean_eof = false;
    BOOST_TEST(recv_until_eof(c.get(), &clean_eof) == "last words");
    BOOST_TEST(clean_eof);
}

// A client that writes 256 MiB and reads slowly gets every byte back, while the server
// holds at most max_buffer_bytes for it (it stops reading: backpressure).
BOOST_AUTO_TEST_CASE(slow_reader_gets_all_bytes_with_bounded_memory) {
    const std::size_t max_buffer = 1u << 20;
    Server server({"--max-buffer-bytes=" + std::to_string(max_buffer)});
    auto c = connect_to(server.port());
    const long rss_before = server.process().rss_kib();
    const std::size_t total = 256u << 20;

    std::thread writer([&] {
        PatternStream pattern(42);
        std::vector<unsigned char> chunk(256 * 1024);
        for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
            pattern.fill(chunk.data(), chunk.size());
            send_all(c.get(), chunk.data(), chunk.size());
        }
    });

    PatternStream expected(42);
    std::vector<unsigned char> want(16 * 1024);
    std::string got;
    long rss_peak = rss_before;
    std::size_t received = 0;
    bool equal = true;
    for (int round = 0; received < total; ++round) {
        got = recv_exact(c.get(), want.size());
        if (got.size() != want.size()) break;
        expected.fill(want.data(), want.size());
        equal = equal && std::memcmp(got.data(), want.data(), want.size()) == 0;
        received += got.size();
        if (round % 64 == 0) {  // slow: a pause every 1 MiB, and watch the server's memory
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            rss_peak = std::max(rss_peak, server.process().rss_kib());
        }
    }
    writer.join();
    BOOST_TEST(received == total);
    BOOST_TEST(equal);
    const long growth_kib = rss_peak - rss_before;
    BOOST_TEST_MESSAGE("server RSS grew by " << growth_kib << " KiB (max_buffer_bytes = 1024 KiB)");
    BOOST_TEST(growth_kib <= static_cast<long>(max_buffer / 1024) + 4096);
    c.reset();
    BOOST_TEST(server.stop() == 0);
    BOOST_TEST(server.counter("backpressure_pauses") > 0u);
    BOOST_TEST(server.counter("bytes_sent") == total);
}

// Many sockets whose reader stalls at first: the server's writes go short, and all
// bytes still arrive in order once reading starts.
BOOST_AUTO_TEST_CASE(partial_writes_lose_and_reorder_nothing) {
    Server server({"--max-buffer-bytes=64KiB", "--read-chunk-bytes=16KiB"});
    std::vector<echomux::Fd> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(connect_to(server.port()));
    const std::size_t size = 4u << 20;
    std::vector<std::thread> writers;
    for (int i = 0; i < 8; ++i)
        writers.emplace_back([&, i] {
            const auto payload = random_bytes(size, 100 + i);
            send_all(clients[i].get(), payload.data(), payload.size());
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the server's sends go short
    for (int i = 0; i < 8; ++i) {
        const std::string echoed = recv_exact(clients[i].get(), size);
        const auto payload = random_bytes(size, 100 + i);
        BOOST_REQUIRE_EQUAL(echoed.size(), size);
        BOOST_TEST(std::memcmp(echoed.data(), payload.data(), size) == 0);
    }
    for (auto& w : writers) w.join();
}

BOOST_AUTO_TEST_SUITE_END()
