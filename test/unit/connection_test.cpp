// The shared protocol core on a socketpair, where buffer sizes are small and exact, so
// the cases the end-to-end tests reach only by timing happen every time.
#include "echomux/connection.hpp"
#include "echomux/fd.hpp"
#include "echomux/service.hpp"
#include "failing_allocation.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace echomux;

namespace {
struct NoHooks final : LoopHooks {
    void adopt(int) override {}
    void watch_listener(bool) override {}
    void close_listener() override {}
    int listener_fd() override { return -1; }
};

struct TestConnection final : Connection {
    using Connection::Connection;
    void release() override { released = true; }
    void call_soon() override { called_soon = true; }
    bool released = false, called_soon = false;
};

Config small_config() {
    Config c;
    c.max_buffer_bytes = 64 * 1024;
    c.read_chunk_bytes = 16 * 1024;
    return c;
}

// A server-side socket whose sends go short almost at once, and its peer.
struct Fixture {
    Fixture() : shared(small_config()), service(shared, hooks) {
        int fds[2];
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        server.reset(fds[0]);
        client.reset(fds[1]);
        const int small = 4096;
        ::setsockopt(server.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        shared.active = 1;  // the slot a real accept would have taken
    }
    std::string drain_client() {
        std::string out;
        char chunk[65536];
        ssize_t n;
        while ((n = ::recv(client.get(), chunk, sizeof chunk, 0)) > 0) out.append(chunk, static_cast<std::size_t>(n));
        return out;
    }
    NoHooks hooks;
    SharedState shared;
    Service service;
    Fd server, client;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(connection)

BOOST_AUTO_TEST_CASE(eof_with_bytes_waiting_keeps_the_connection_until_they_are_sent) {
    Fixture f;
    TestConnection c(f.service, f.server.get());
    std::string sent;
    for (int i = 0; i < 3000; ++i) sent += "line " + std::to_string(i) + "\n";  // ~28 KiB
    BOOST_REQUIRE(::send(f.client.get(), sent.data(), sent.size(), 0) == static_cast<ssize_t>(sent.size()));
    BOOST_REQUIRE(::shutdown(f.client.get(), SHUT_WR) == 0);

    Connection::Next next = Connection::Next::wait;
    for (int i = 0; i < 10 && c.interest().read; ++i) next = c.on_read(true);
    BOOST_TEST(!c.interest().read);          // EOF seen: nothing more to read
    BOOST_TEST(c.interest().write);          // ...but bytes still wait for the peer
    BOOST_TEST((next == Connection::Next::wait));

    std::string echoed;
    for (int i = 0; i < 1000 && next != Connection::Next::close; ++i) {
        echoed += f.drain_client();
        next = c.on_write();
    }
    BOOST_TEST((next == Connection::Next::close));  // all sent, our FIN sent: now close
    echoed += f.drain_client();
    BOOST_TEST(echoed == sent);
    char byte;
    BOOST_TEST(::recv(f.client.get(), &byte, 1, 0) == 0);  // FIN after the last byte
}

BOOST_AUTO_TEST_CASE(a_full_buffer_stops_reading_and_draining_it_resumes) {
    Fixture f;
    TestConnection c(f.service, f.server.get());
    const std::string block(256 * 1024, 'x');
    ::send(f.client.get(), block.data(), block.size(), 0);  // as much as the socket takes
    for (int i = 0; i < 100 && c.interest().read; ++i) c.on_read(true);
    BOOST_TEST(!c.interest().read);  // backpressure: max_buffer_bytes are waiting
    BOOST_TEST(c.interest().write);
    BOOST_TEST(f.service.stats().backpressure_pauses.get() == 1u);
    f.drain_client();
    BOOST_TEST((c.on_write() == Connection::Next::again));  // room again: read without waiting
    BOOST_TEST(c.interest().read);
}

BOOST_AUTO_TEST_CASE(upper_mode_transforms_and_counts_bytes) {
    Fixture f;
    Config upper = small_config();
    upper.mode = Mode::upper;
    SharedState shared(upper);
    shared.active = 1;
    Service service(shared, f.hooks);
    TestConnection c(service, f.server.get());
    ::send(f.client.get(), "abc-XYZ", 7, 0);
    BOOST_TEST((c.on_read(false) == Connection::Next::wait));
    BOOST_TEST(f.drain_client() == "ABC-XYZ");
    BOOST_TEST(service.stats().bytes_received.get() == 7u);
    BOOST_TEST(service.stats().bytes_sent.get() == 7u);
}

// Out of memory for one client's buffer (ulimit -v, a cgroup limit): that connection
// ends, counted as a reset; the exception does not reach the loop, which would end every
// other connection with it.
BOOST_AUTO_TEST_CASE(no_memory_for_a_buffer_ends_only_this_connection) {
    Fixture f;
    TestConnection c(f.service, f.server.get());
    const std::string block(64 * 1024, 'm');
    ::send(f.client.get(), block.data(), block.size(), 0);  // more than the server can send back at once
    Connection::Next next = Connection::Next::wait;
    {
        test::FailLargeAllocations no_memory(1024);
        for (int i = 0; i < 10 && next == Connection::Next::wait; ++i) next = c.on_read(true);
    }
    BOOST_TEST((next == Connection::Next::close));
    c.close();
    BOOST_TEST(f.service.stats().closed_reset.get() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
