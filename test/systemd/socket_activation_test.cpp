// SPDX-License-Identifier: BSL-1.0
// Socket activation: echomux serves the sockets systemd passes (LISTEN_FDS) instead of
// binding, on every event loop, and a restart on the same socket loses no queued client.
#include "inherited_sockets.hpp"
#include "support/net.hpp"
#include "support/process.hpp"

#include "echomux/server/config.hpp"
#include "echomux/server/listener.hpp"
#include "echomux/util/socket_address.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace echomux;
using namespace echomux::test;

namespace {

const char* kSocketActivate = "/usr/bin/systemd-socket-activate";

void expect_echo(int port, const std::string& text) {
    Fd client = connect_to(port);
    send_all(client.get(), text);
    BOOST_TEST(recv_exact(client.get(), text.size()) == text);
}

// The inodes of the TCP sockets listening on 127.0.0.1:port, from /proc/net/tcp.
std::set<std::string> listening_inodes(int port) {
    char local[32];
    std::snprintf(local, sizeof local, "0100007F:%04X", port);
    std::ifstream table("/proc/net/tcp");
    std::set<std::string> inodes;
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, address, remote, state, queues, timer, retransmits, uid, timeout, inode;
        fields >> slot >> address >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
        if (address == local && state == "0A") inodes.insert(inode);  // 0A: LISTEN
    }
    return inodes;
}

// How many of pid's descriptors refer to socket `inode`.
int descriptors_of(int pid, const std::string& inode) {
    int count = 0;
    for (int fd = 0; fd < 1024; ++fd) count += socket_inode(pid, fd) == inode;
    return count;
}

// accepted_per_loop from the last "counters:" line (SIGUSR1): {3, 5} for "3,5".
std::vector<unsigned long> accepted_per_loop(const std::string& err) {
    std::vector<unsigned long> counts;
    std::smatch m;
    std::string::const_iterator from = err.begin();
    std::string last;
    while (std::regex_search(from, err.end(), m, std::regex("counters: .*accepted_per_loop=([0-9,]+)"))) {
        last = m[1];
        from = m[0].second;
    }
    std::istringstream list(last);
    for (std::string n; std::getline(list, n, ',');) counts.push_back(std::stoul(n));
    return counts;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(socket_activation)

// systemd-socket-activate binds, waits for the first client, then execs echomux in its own
// place (same pid) with the socket as descriptor 3: as systemd does with echomux.socket.
BOOST_AUTO_TEST_CASE(systemd_socket_activate_serves_echo_on_every_thread_through_its_one_socket) {
    BOOST_REQUIRE_MESSAGE(::access(kSocketActivate, X_OK) == 0,
                          kSocketActivate << " is missing: apt-get install systemd (scripts/install-deps.sh --test)");
    std::unique_ptr<Process> server;
    int port = 0;
    for (int attempt = 0; attempt < 10 && !server; ++attempt) {  // a free port may be taken before it binds
        port = free_port();
        std::vector<std::string> argv = {kSocketActivate, "-l", "127.0.0.1:" + std::to_string(port),
                                         echomux_binary(), "--threads=2", "--port=7"};
        for (auto& a : backend_args()) argv.push_back(a);
        server = std::make_unique<Process>(argv);
        if (!server->wait_for_err("Listening on", 10s)) {
            BOOST_REQUIRE_MESSAGE(server->err().find("in use") != std::string::npos, server->err());
            server.reset();
        }
    }
    BOOST_REQUIRE(server);

    expect_echo(port, "first client, who starts it\n");
    BOOST_REQUIRE_MESSAGE(server->wait_for_err("listening on", 10s), server->err());
    const std::string address = "127.0.0.1:" + std::to_string(port);
    // Its own port 7 (which it may not bind) is not used: the inherited socket wins, and says so.
    BOOST_TEST(server->err().find("serving the inherited socket 3 on " + address + " instead of 0.0.0.0:7 (listen, port)") !=
               std::string::npos, server->err());
    BOOST_TEST(std::regex_search(server->err(), std::regex("listening on " + address + " .*sockets=inherited")),
               server->err());

    // It bound nothing of its own: one socket listens on the port, held as descriptor 3 and
    // by both loops (descriptor 3 and one dup).
    const std::string inode = socket_inode(server->pid(), 3);
    BOOST_REQUIRE_MESSAGE(!inode.empty(), "descriptor 3 of echomux is not a socket");
    BOOST_TEST((listening_inodes(port) == std::set<std::string>{inode}));
    BOOST_TEST(descriptors_of(server->pid(), inode) == 2);

    // Both loops accept from the one socket: which loop wins a connection is up to the
    // kernel, so clients come in rounds until each loop has had some (bounded: 20 x 25).
    std::vector<unsigned long> per_loop;
    int accepted = 1;
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 25; ++i, ++accepted) expect_echo(port, "round " + std::to_string(round) + "\n");
        server->signal(SIGUSR1);
        BOOST_REQUIRE(server->wait_for_err("counters: accepted=" + std::to_string(accepted) + " ", 10s));
        per_loop = accepted_per_loop(server->err());
        if (per_loop.size() == 2 && per_loop[0] > 0 && per_loop[1] > 0) break;
    }
    BOOST_REQUIRE_EQUAL(per_loop.size(), 2u);  // before indexing it
    BOOST_TEST_MESSAGE("accepted_per_loop after socket activation: " << per_loop[0] << "," << per_loop[1]);
    BOOST_TEST(per_loop[0] > 0);
    BOOST_TEST(per_loop[1] > 0);

    server->signal(SIGTERM);
    BOOST_TEST(server->wait(15s).value_or(-1) == 0);
}

// The socket outlives echomux (here the test holds it, under systemd echomux.socket does):
// clients that connect while no echomux runs wait in its backlog and are served by the next.
BOOST_AUTO_TEST_CASE(a_restart_on_the_inherited_socket_loses_no_queued_client) {
    Fd listener = listening_socket(64);
    const int port = local_port(listener);
    auto start = [&](const std::string& threads) {
        std::vector<std::string> command = {echomux_binary(), "--listen=127.0.0.1", "--port=0", "--threads=" + threads};
        for (auto& a : backend_args()) command.push_back(a);
        auto server = std::make_unique<Process>(socket_activated({listener.get()}, command));
        BOOST_REQUIRE_MESSAGE(server->wait_for_err("listening on 127.0.0.1:" + std::to_string(port), 10s),
                              server->err());
        return server;
    };

    auto first = start("1");
    expect_echo(port, "before the restart\n");
    first->signal(SIGTERM);
    BOOST_REQUIRE(first->wait(15s).value_or(-1) == 0);

    // No echomux now: each connect() completes in the kernel, and the bytes wait too.
    constexpr int kQueued = 40;
    std::vector<Fd> queued;
    for (int i = 0; i < kQueued; ++i) {
        queued.push_back(connect_to(port));
        send_all(queued.back().get(), "queued " + std::to_string(i) + "\n");
    }

    auto second = start("2");
    for (int i = 0; i < kQueued; ++i) {
        const std::string expected = "queued " + std::to_string(i) + "\n";
        BOOST_TEST(recv_exact(queued[i].get(), expected.size()) == expected);
    }
    queued.clear();
    second->signal(SIGTERM);
    BOOST_REQUIRE(second->wait(15s).value_or(-1) == 0);
    BOOST_TEST(std::regex_search(second->err(), std::regex("stopped: accepted=" + std::to_string(kQueued) + " ")),
               second->err());
}

// A UDP socket passed beside the TCP one answers datagrams (udp = on), found by its type
// whatever its position.
BOOST_AUTO_TEST_CASE(an_inherited_datagram_socket_answers_udp) {
    Fd udp = datagram_socket();
    Fd tcp = listening_socket();
    const int udp_port = local_port(udp), tcp_port = local_port(tcp);
    std::vector<std::string> command = {echomux_binary(), "--listen=127.0.0.1", "--port=0", "--udp=on", "--threads=2"};
    for (auto& a : backend_args()) command.push_back(a);
    Process server(socket_activated({udp.get(), tcp.get()}, command));
    BOOST_REQUIRE_MESSAGE(server.wait_for_err("listening on 127.0.0.1:" + std::to_string(tcp_port), 10s), server.err());
    BOOST_TEST(server.err().find("udp=127.0.0.1:" + std::to_string(udp_port)) != std::string::npos, server.err());
    expect_echo(tcp_port, "over TCP\n");

    Fd client(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    set_receive_timeout(client.get(), 5000);
    const auto to = parse_socket_address("127.0.0.1", static_cast<std::uint16_t>(udp_port));
    const std::string datagram = "over UDP";
    BOOST_REQUIRE(::sendto(client.get(), datagram.data(), datagram.size(), 0, to->get(), to->length) ==
                  static_cast<ssize_t>(datagram.size()));
    char reply[64];
    const ssize_t n = ::recv(client.get(), reply, sizeof reply, 0);
    BOOST_TEST(std::string(reply, n > 0 ? static_cast<std::size_t>(n) : 0) == datagram);
    server.signal(SIGTERM);
    BOOST_TEST(server.wait(15s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_passed_socket_that_cannot_serve_echo_is_one_clear_error) {
    Fd not_listening(::socket(AF_INET, SOCK_STREAM, 0));  // inheritable, as listening_socket()
    Process server(socket_activated({not_listening.get()}, {echomux_binary(), "--port=0"}));
    BOOST_TEST(server.wait(10s).value_or(-1) == 1);
    BOOST_TEST(server.err().find("socket activation: inherited descriptor 3 is a stream socket that is not listening") !=
                   std::string::npos, server.err());
}

// In this process, so the environment afterwards can be seen: open_listeners() maps the
// passed sockets by type, shares them across the loops and clears LISTEN_* (as
// sd_listen_fds(1)), so nothing echomux ever starts would take them for its own.
BOOST_AUTO_TEST_CASE(open_listeners_maps_passed_sockets_by_type_and_clears_the_environment) {
    Fd udp = datagram_socket();
    Fd tcp = listening_socket();
    const int tcp_port = local_port(tcp);
    const std::string tcp_inode = socket_inode(::getpid(), tcp.get()), udp_inode = socket_inode(::getpid(), udp.get());
    std::vector<Fd> passed;
    passed.push_back(std::move(udp));
    passed.push_back(std::move(tcp));
    PassedToThisProcess activation(std::move(passed));
    ::setenv("LISTEN_FDNAMES", "udp:echo", 1);
    Config config;
    config.listen = "127.0.0.1";
    config.port = 0;
    config.udp = true;
    config.threads = 3;
    {
        const Listeners listeners = open_listeners(config);
        BOOST_TEST(listeners.inherited);
        BOOST_TEST(listeners.address == "127.0.0.1:" + std::to_string(tcp_port));
        BOOST_REQUIRE_EQUAL(listeners.sockets.size(), 3u);
        BOOST_REQUIRE_EQUAL(listeners.udp_sockets.size(), 3u);
        for (const Fd& fd : listeners.sockets) {
            BOOST_TEST(socket_inode(::getpid(), fd.get()) == tcp_inode);
            BOOST_TEST((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC));
            BOOST_TEST((::fcntl(fd.get(), F_GETFL) & O_NONBLOCK));
        }
        for (const Fd& fd : listeners.udp_sockets) BOOST_TEST(socket_inode(::getpid(), fd.get()) == udp_inode);
    }
    BOOST_TEST(!std::getenv("LISTEN_FDS"));
    BOOST_TEST(!std::getenv("LISTEN_PID"));
    BOOST_TEST(!std::getenv("LISTEN_FDNAMES"));
}

BOOST_AUTO_TEST_CASE(sockets_for_another_process_are_not_taken_and_the_environment_is_cleared) {
    Fd tcp = listening_socket();
    const std::string passed_inode = socket_inode(::getpid(), tcp.get());
    std::vector<Fd> passed;
    passed.push_back(std::move(tcp));
    PassedToThisProcess activation(std::move(passed));
    ::setenv("LISTEN_PID", std::to_string(::getppid()).c_str(), 1);  // meant for our parent
    Config config;
    config.listen = "127.0.0.1";
    config.port = 0;
    {
        const Listeners listeners = open_listeners(config);
        BOOST_TEST(!listeners.inherited);
        BOOST_REQUIRE_EQUAL(listeners.sockets.size(), 1u);
        BOOST_TEST(socket_inode(::getpid(), listeners.sockets[0].get()) != passed_inode);
    }
    BOOST_TEST(socket_inode(::getpid(), 3) == passed_inode);  // left alone
    BOOST_TEST(!std::getenv("LISTEN_FDS"));
    BOOST_TEST(!std::getenv("LISTEN_PID"));
}

BOOST_AUTO_TEST_CASE(two_passed_stream_sockets_are_refused_by_name) {
    std::vector<Fd> passed;
    passed.push_back(listening_socket());
    passed.push_back(listening_socket());
    PassedToThisProcess activation(std::move(passed));
    Config config;
    try {
        open_listeners(config);
        BOOST_FAIL("two stream sockets were accepted");
    } catch (const std::runtime_error& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "socket activation: more than one stream socket (3 and 4): echomux serves one ListenStream= "
                   "and at most one ListenDatagram=");
    }
}

BOOST_AUTO_TEST_SUITE_END()
