// SPDX-License-Identifier: BSL-1.0
// The shared protocol core on a socketpair (through the readiness loops' SocketTransport),
// where buffer sizes are small and exact, so the cases the end-to-end tests reach only by
// timing happen every time; and on a completion transport the test drives by hand.
#include "echomux/backends/socket_transport.hpp"
#include "echomux/core/connection.hpp"
#include "echomux/util/fd.hpp"
#include "echomux/core/service.hpp"
#include "failing_allocation.hpp"
#include "support/completion_transport.hpp"

#include "support/service_loop.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace echomux;
using echomux::test::CompletionConnection;

using echomux::test::NoHooks;
using echomux::test::TestSocket;

namespace {
// The core over a socket, as a readiness loop drives it.
struct TestConnection {
    TestConnection(Service& service, int fd) : socket(fd), connection(service, socket) { connection.start(); }
    Connection::Next on_read(bool drain = false, bool read_all = false) {
        return socket.on_read(connection, drain, read_all);
    }
    Connection::Next on_write() { return connection.writable(); }
    Interest interest() const { return connection.interest(); }
    void close() { connection.close(); }
    TestSocket socket;
    Connection connection;
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

// Edge-triggered: a read that comes back short has emptied the socket, so the read that
// would only say EAGAIN is saved; but a FIN that came with the bytes has no edge of its own,
// so when the selector reports a hang-up the connection reads on and sees it.
BOOST_AUTO_TEST_CASE(a_short_read_ends_an_edge_triggered_turn_unless_the_peer_hung_up) {
    Fixture f;
    TestConnection c(f.service, f.server.get());
    ::send(f.client.get(), "ping", 4, 0);
    BOOST_REQUIRE(::shutdown(f.client.get(), SHUT_WR) == 0);
    BOOST_TEST((c.on_read(true, false) == Connection::Next::wait));
    BOOST_TEST(c.interest().read);  // the EOF behind the bytes was not read
    BOOST_TEST(f.drain_client() == "ping");
    BOOST_TEST((c.on_read(true, true) == Connection::Next::close));  // read on: EOF, all sent, FIN
    char byte;
    BOOST_TEST(::recv(f.client.get(), &byte, 1, 0) == 0);
}


// The core is fed bytes as a completion loop hands them over, in chunks larger than the room
// it has: nothing is lost or reordered, reading pauses while bytes are held, and the FIN
// waits for the last send to complete.
BOOST_AUTO_TEST_CASE(a_completion_loop_feeding_more_than_fits_loses_nothing_and_fins_last) {
    Fixture f;
    CompletionConnection cc(f.service);
    Connection& c = cc.connection;
    BOOST_REQUIRE((c.start() == Connection::Next::wait));
    std::string input;
    for (int i = 0; input.size() < 300 * 1024; ++i) input += "line " + std::to_string(i) + "\n";
    const std::size_t chunk = 100 * 1024;  // more than max_buffer_bytes (64 KiB) at once
    Connection::Next next = Connection::Next::wait;
    for (std::size_t at = 0; at < input.size();) {
        if (c.read_room() > 0) {
            std::string bytes = input.substr(at, chunk);
            at += bytes.size();
            next = c.received(bytes.data(), bytes.size());
        } else {
            BOOST_REQUIRE(cc.transport.in_flight > 0);  // paused only while something is on its way
            next = cc.complete_send();
        }
        BOOST_REQUIRE((next != Connection::Next::close));
    }
    next = c.peer_closed();
    for (int i = 0; i < 100 && next != Connection::Next::close; ++i) {
        BOOST_TEST(cc.transport.in_flight > 0);  // not closed before the last send completed
        BOOST_TEST(!cc.transport.fin);
        next = cc.complete_send();
    }
    BOOST_TEST((next == Connection::Next::close));
    BOOST_TEST(cc.transport.fin);
    BOOST_TEST(cc.transport.wire == input);
    BOOST_TEST(f.service.stats().bytes_received.get() == input.size());
}

// The greeting goes through the transport, from start(), not from a constructor: on a
// transport that takes 64 KiB a send, a 200 KiB greeting goes out in four sends, each after
// the last completed, and then the echo. (io_uring stopped after the first before.)
BOOST_AUTO_TEST_CASE(a_greeting_longer_than_one_send_follows_each_completed_send) {
    Fixture f;
    Config c = small_config();
    c.max_buffer_bytes = 256 * 1024;
    c.greeting = std::string(200 * 1024, 'g');
    SharedState shared(c);
    shared.active = 1;
    Service service(shared, f.hooks);
    CompletionConnection cc(service, 64 * 1024);
    BOOST_TEST(cc.transport.wire.empty());  // nothing sent before start()
    BOOST_TEST((cc.connection.start() == Connection::Next::wait));
    BOOST_TEST(cc.transport.wire.size() == 64 * 1024u);
    for (int i = 0; i < 10 && cc.connection.interest().write; ++i) cc.complete_send();
    BOOST_TEST(cc.transport.wire == c.greeting + "\n");
    std::string ping = "PING\n";
    cc.complete_send();
    cc.connection.received(ping.data(), ping.size());
    BOOST_TEST(cc.transport.wire == c.greeting + "\nPING\n");
}

// While it waits for a PROXY header (up to 2 KiB), a connection never asks for more than the
// loop's read buffer holds: max_buffer_bytes may be smaller (the readiness loops recv into it).
BOOST_AUTO_TEST_CASE(a_header_wait_never_reads_past_the_loops_read_buffer) {
    Fixture f;
    Config c = small_config();
    c.max_buffer_bytes = 100;
    c.proxy_protocol = ProxyProtocol::required;
    SharedState shared(c);
    shared.active = 1;
    Service service(shared, f.hooks);
    CompletionConnection cc(service);
    cc.connection.start();
    BOOST_TEST(service.read_size() == 100u);
    BOOST_TEST(cc.connection.read_room() == 100u);
}

// The greeting's placeholders are the transport's endpoints, asked for once, at start().
BOOST_AUTO_TEST_CASE(the_greeting_names_the_endpoints_the_transport_reports) {
    Fixture f;
    Config c = small_config();
    c.greeting = "you are %p, I am %l";
    SharedState shared(c);
    shared.active = 1;
    Service service(shared, f.hooks);
    CompletionConnection cc(service);
    cc.connection.start();
    BOOST_TEST(cc.transport.wire == "you are 192.0.2.1:5000, I am 192.0.2.2:7007\n");
}

BOOST_AUTO_TEST_SUITE_END()
