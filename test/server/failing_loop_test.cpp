// SPDX-License-Identifier: BSL-1.0
// The real echomux, one of whose two event loops fails: the other drains and the process
// exits 1, with one line that says which loop failed and why. The failure is real, from
// outside the program: a seccomp filter (fail_long_epoll_wait) fails the long epoll_wait
// of the loop that holds a connection. Native epoll loops only: asio waits on a timerfd with
// no timeout, io_uring, poll and select wait through other system calls.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>

using namespace echomux::test;

namespace {

void a_failing_loop_drains_the_other_and_exits_1(const std::string& epoll_mode) {
    Process server({ECHOMUX_FAIL_LONG_EPOLL_WAIT, echomux_binary(), "--backend=epoll", "--epoll-mode=" + epoll_mode,
                    "--threads=2", "--idle-timeout=4000s", "--listen=127.0.0.1", "--port=0"});
    BOOST_REQUIRE_MESSAGE(server.wait_for_err("listening on ", 10s), server.err());
    std::smatch port;
    const std::string started = server.err();
    BOOST_REQUIRE(std::regex_search(started, port, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+) ")));

    // Its loop's next wait is the idle timeout, 4000 s: the kernel fails it.
    const echomux::Fd client = connect_to(std::stoi(port[1]));
    // The other loop holds no connection: once asked to drain, it ends at once. Unasked, it
    // would serve on and the process would never exit.
    const auto status = server.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "echomux still runs with one of its two loops failed: " << server.err());
    BOOST_TEST(*status == 1, server.err());
    const std::string err = server.err();
    const std::regex failed("event loop [12] of 2 failed: epoll_wait: Input/output error; draining the other event "
                            "loops, then exiting with status 1\n");
    BOOST_TEST(std::distance(std::sregex_iterator(err.begin(), err.end(), failed), std::sregex_iterator()) == 1, err);
    BOOST_TEST(err.find("stopped: accepted=1 ") != std::string::npos, err);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_failing_epoll_level_loop_drains_the_other_and_exits_1) {
    a_failing_loop_drains_the_other_and_exits_1("level");
}

BOOST_AUTO_TEST_CASE(a_failing_epoll_edge_loop_drains_the_other_and_exits_1) {
    a_failing_loop_drains_the_other_and_exits_1("edge");
}
