// SPDX-License-Identifier: BSL-1.0
// SIGHUP: the settings are read again and checked whole. A good file changes what can
// change while serving and names what needs a restart; a bad one changes nothing. Clients
// in the middle of a conversation never notice either.
#include "config_run.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {
// Clients exchanging messages in turn until told to stop; counts exchanges and failures.
struct Traffic {
    explicit Traffic(int port) {
        for (int i = 0; i < 20; ++i) clients.push_back(try_connect(port));
        worker = std::thread([this] {
            for (unsigned round = 0; !stop; ++round) {
                for (std::size_t i = 0; i < clients.size(); ++i) {
                    const std::string message = "m" + std::to_string(round) + "-" + std::to_string(i) + ";";
                    if (!clients[i] || !try_send_all(clients[i].get(), message.data(), message.size())) {
                        ++failures;
                        continue;
                    }
                    std::string back(message.size(), '\0');
                    std::size_t got = 0;
                    while (got < back.size()) {
                        const ssize_t n = ::recv(clients[i].get(), &back[got], back.size() - got, 0);
                        if (n <= 0) break;
                        got += static_cast<std::size_t>(n);
                    }
                    if (back == message) ++exchanges;  // still echo, not upper: they keep their mode
                    else ++failures;
                }
            }
        });
    }
    ~Traffic() { finish(); }
    void finish() {
        stop = true;
        if (worker.joinable()) worker.join();
    }
    // At least `n` more exchanges happened (bounded wait).
    bool moves(unsigned n) {
        const unsigned target = exchanges + n;
        for (int i = 0; i < 1000 && exchanges < target; ++i) std::this_thread::sleep_for(5ms);  // polling
        return exchanges >= target;
    }
    std::vector<Fd> clients;
    std::atomic<bool> stop{false};
    std::atomic<unsigned> exchanges{0}, failures{0};
    std::thread worker;
};
}  // namespace

BOOST_AUTO_TEST_CASE(sighup_applies_a_good_file_rejects_a_bad_one_and_drops_no_one) {
    const int port = free_port();
    const std::string conf = write_conf("listen = 127.0.0.1\nport = " + std::to_string(port) + "\nmode = echo\n");
    Process server({echomux_binary(), "--config", conf});
    BOOST_REQUIRE(server.wait_for_err("listening on", 5s));
    Traffic traffic(port);
    BOOST_REQUIRE(traffic.moves(100));

    std::ofstream(conf) << "listen = 127.0.0.1\nport = " << port + 1 << "\nmode = upper\naccess_log = on\n";
    server.signal(SIGHUP);
    BOOST_REQUIRE(server.wait_for_err("reload: done: 2 setting(s) applied, 1 need a restart\n", 5s));
    const std::string log = server.err();
    BOOST_TEST(contains(log, "reload: mode = upper\n"), log);
    BOOST_TEST(contains(log, "reload: access_log = on\n"), log);
    BOOST_TEST(contains(log, "reload: port = " + std::to_string(port + 1) + " takes a restart; still " +
                                 std::to_string(port) + "\n"),
               log);
    BOOST_REQUIRE(traffic.moves(100));
    Fd fresh = connect_to(port);  // still the old port; new connections get the new mode
    send_all(fresh.get(), "new");
    BOOST_TEST(recv_exact(fresh.get(), 3) == "NEW");

    std::ofstream(conf) << "listen = 127.0.0.1\nport = " << port << "\nmode = shout\n";
    server.signal(SIGHUP);
    BOOST_REQUIRE(server.wait_for_err("the running settings stay\n", 5s));
    BOOST_TEST(contains(server.err(), "reload: file " + conf + ":3: mode = 'shout': must be one of: echo, upper, prefix;"),
               server.err());
    BOOST_REQUIRE(traffic.moves(100));
    Fd after_bad = connect_to(port);
    send_all(after_bad.get(), "still");
    BOOST_TEST(recv_exact(after_bad.get(), 5) == "STILL");

    traffic.finish();
    BOOST_TEST(traffic.failures == 0u);
    server.signal(SIGTERM);
    traffic.clients.clear();
    fresh.reset();
    after_bad.reset();
    BOOST_TEST(server.wait(10s).value_or(-1) == 0);
    BOOST_TEST(contains(server.err(), " closed_reset=0 "), server.err());
}

BOOST_AUTO_TEST_CASE(sighup_shortens_the_idle_timeout_of_open_connections) {
    const int port = free_port();
    const std::string conf = write_conf("listen = 127.0.0.1\nport = " + std::to_string(port) + "\nidle_timeout = 300\n");
    Process server({echomux_binary(), "--config", conf});
    BOOST_REQUIRE(server.wait_for_err("listening on", 5s));
    Fd idle = connect_to(port);
    send_all(idle.get(), "x");
    BOOST_REQUIRE(recv_exact(idle.get(), 1) == "x");
    std::ofstream(conf) << "listen = 127.0.0.1\nport = " << port << "\nidle_timeout = 300ms\n";
    server.signal(SIGHUP);
    BOOST_REQUIRE(server.wait_for_err("reload: done", 5s));
    BOOST_TEST(peer_closed_within(idle.get(), 3000));  // not after 300 s
    server.signal(SIGTERM);
    BOOST_TEST(server.wait(10s).value_or(-1) == 0);
}

// A FIFO put where the conf file was must not block the reload for good: SIGTERM after it
// still drains and exits 0, and the log says the reload was refused (issue 26).
BOOST_AUTO_TEST_CASE(sighup_refuses_a_fifo_in_place_of_the_conf_file_and_sigterm_still_stops) {
    const int port = free_port();
    const std::string conf = write_conf("listen = 127.0.0.1\nport = " + std::to_string(port) + "\n");
    Process server({echomux_binary(), "--config", conf});
    BOOST_REQUIRE(server.wait_for_err("listening on", 5s));
    BOOST_REQUIRE(::unlink(conf.c_str()) == 0);
    BOOST_REQUIRE(::mkfifo(conf.c_str(), 0600) == 0);
    server.signal(SIGHUP);
    BOOST_TEST(server.wait_for_err("reload: file " + conf + ": cannot read it" +
                                       ": not a regular file (a FIFO); the running settings stay\n",
                                   5s),
               server.err());
    Fd client = connect_to(port);
    send_all(client.get(), "still");
    BOOST_TEST(recv_exact(client.get(), 5) == "still");
    client.reset();
    server.signal(SIGTERM);
    BOOST_TEST(server.wait(5s).value_or(-1) == 0);
}
