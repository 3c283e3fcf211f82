// SPDX-License-Identifier: BSL-1.0
// echomux-client tally behind a round robin: two echomux replicas that greet (or prefix)
// differently, one address in front that hands connections (and datagrams) to them in
// turn, as a Service would. The counts are exact: a round robin has no luck in it.
#define BOOST_TEST_MODULE echomux client tally
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Connection i goes to backend i % 2; bytes are copied both ways until either side closes.
// Datagram i likewise, its reply sent back from the front socket. Bounded by stop_ (and
// each wait by 50 ms).
class RoundRobin {
public:
    RoundRobin(int a, int b) : backends_{a, b}, listener_(listen_on_loopback(port_)) {
        udp_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        const sockaddr_in at = loopback(port_);
        ::bind(udp_.get(), reinterpret_cast<const sockaddr*>(&at), sizeof at);
        thread_ = std::thread([this] { serve(); });
    }
    ~RoundRobin() {
        stop_ = true;
        thread_.join();
    }
    int port() const { return port_; }

private:
    void serve() {
        std::vector<std::thread> pipes;
        Fd to_backend[2];
        for (int i = 0; i < 2; ++i) {
            to_backend[i].reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            const sockaddr_in b = loopback(backends_[i]);
            ::connect(to_backend[i].get(), reinterpret_cast<const sockaddr*>(&b), sizeof b);
        }
        sockaddr_in client{};
        for (unsigned next_tcp = 0, next_udp = 0; !stop_;) {
            pollfd p[4] = {{listener_.get(), POLLIN, 0}, {udp_.get(), POLLIN, 0},
                           {to_backend[0].get(), POLLIN, 0}, {to_backend[1].get(), POLLIN, 0}};
            if (::poll(p, 4, 50) <= 0) continue;
            char buf[65536];
            if (p[0].revents & POLLIN) {
                Fd c(::accept(listener_.get(), nullptr, nullptr));
                Fd b(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                const sockaddr_in at = loopback(backends_[next_tcp++ % 2]);
                if (c && ::connect(b.get(), reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0)
                    pipes.emplace_back([c = std::move(c), b = std::move(b), this]() mutable { copy(c, b); });
            }
            if (p[1].revents & POLLIN) {
                socklen_t len = sizeof client;
                const ssize_t n = ::recvfrom(udp_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&client), &len);
                if (n >= 0) ::send(to_backend[next_udp++ % 2].get(), buf, static_cast<std::size_t>(n), 0);
            }
            // One client at a time (tally sends one datagram after another): replies go to the last sender.
            for (int i = 0; i < 2; ++i)
                if (p[2 + i].revents & POLLIN) {
                    const ssize_t n = ::recv(to_backend[i].get(), buf, sizeof buf, 0);
                    if (n >= 0)
                        ::sendto(udp_.get(), buf, static_cast<std::size_t>(n), 0,
                                 reinterpret_cast<const sockaddr*>(&client), sizeof client);
                }
        }
        for (auto& t : pipes) t.join();
    }
    void copy(Fd& c, Fd& b) {
        char buf[4096];
        while (!stop_) {
            pollfd p[2] = {{c.get(), POLLIN, 0}, {b.get(), POLLIN, 0}};
            if (::poll(p, 2, 50) <= 0) continue;
            for (int i = 0; i < 2; ++i) {
                if (!p[i].revents) continue;
                const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
                if (n <= 0) return;
                ::send(p[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            }
        }
    }
    int backends_[2];
    int port_ = 0;  // before listener_, which sets it
    Fd listener_, udp_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

Run tally(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {tool_binary("echomux-client"), "tally", "--timeout", "5"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_to_end(argv, {}, 60s);
}

}  // namespace

BOOST_AUTO_TEST_CASE(tally_counts_each_replica_by_its_greeting) {
    Server a({"--greeting=hello from a"}), b({"--greeting=hello from b"});
    RoundRobin front(a.port(), b.port());
    const Run r = tally({"--port", std::to_string(front.port()), "--count", "7"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "tally: 7 connections to 127.0.0.1 port " + std::to_string(front.port()) +
                                   ": 7 answered by 2 replica(s), 0 failed\n"
                                   "       4   57.1 %  hello from a\n"
                                   "       3   42.9 %  hello from b\n"
                                   "skew: 1.14 (the busiest replica's count over an even share; least 3, most 4)\n"),
               r.out);
}

BOOST_AUTO_TEST_CASE(tally_counts_each_replica_by_its_prefix_over_tcp_and_udp) {
    Server a({"--mode=prefix", "--prefix=[a] ", "--udp=on", "--udp-rate-per-source=0"});
    Server b({"--mode=prefix", "--prefix=[b] ", "--udp=on", "--udp-rate-per-source=0"});
    RoundRobin front(a.port(), b.port());
    const Run tcp = tally({"--port", std::to_string(front.port()), "--count", "6"});
    BOOST_TEST(tcp.status == 0, tcp.err);
    BOOST_TEST(contains(tcp.out, "       3   50.0 %  prefix '[a] '\n       3   50.0 %  prefix '[b] '\nskew: 1.00 "),
               tcp.out);
    const Run udp = tally({"--port", std::to_string(front.port()), "--count", "5", "--udp"});
    BOOST_TEST(udp.status == 0, udp.err);
    BOOST_TEST(contains(udp.out, "tally: 5 datagrams to 127.0.0.1 port " + std::to_string(front.port()) +
                                     ": 5 answered by 2 replica(s), 0 failed\n"
                                     "       3   60.0 %  prefix '[a] '\n       2   40.0 %  prefix '[b] '\n"
                                     "skew: 1.20 "),
               udp.out);
}

BOOST_AUTO_TEST_CASE(tally_counts_what_failed_and_exits_1) {
    const Run r = tally({"--port", std::to_string(free_port()), "--count", "3"});  // refused at once
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.out, ": 0 answered by 0 replica(s), 3 failed\n"), r.out);
    BOOST_TEST(contains(r.err, "echomux-client: 3 failed: "), r.err);
    const Run wrong = tally({"--count", "0"});
    BOOST_TEST(wrong.status == 2);
}
