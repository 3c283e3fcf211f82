// SPDX-License-Identifier: BSL-1.0
// The real echomux under signals that mean nothing to it (issue 26: SIGUSR2 and SIGALRM
// killed it without a word): each is logged or ignored, the server keeps echoing, and
// SIGTERM still drains to exit status 0.
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>

using namespace echomux::test;

BOOST_AUTO_TEST_CASE(stray_signals_are_logged_or_ignored_and_the_server_keeps_echoing) {
    Server server;
    // Ignored by their disposition, without a line (a fatal one would end the process here,
    // at the kill(2), before the echo below).
    for (int sig : {SIGPIPE, SIGWINCH, SIGCHLD, SIGURG}) server.process().signal(sig);
    const std::pair<int, const char*> logged[] = {{SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"},
                                                  {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
                                                  {SIGIO, "SIGPOLL"}  /* glibc's name for it */, {SIGPWR, "SIGPWR"}};
    for (const auto& [sig, name] : logged) {
        server.process().signal(sig);
        BOOST_TEST(server.process().wait_for_err(std::string("ignoring ") + name + ": ", 5s), server.process().err());
    }
    server.process().signal(SIGRTMIN + 5);
    BOOST_TEST(server.process().wait_for_err("ignoring SIGRTMIN+5: ", 5s), server.process().err());
    echomux::Fd client = connect_to(server.port());
    send_all(client.get(), "alive\n");
    BOOST_TEST(recv_exact(client.get(), 6) == "alive\n");
    client.reset();
    BOOST_TEST(server.stop(10s) == 0);
}
