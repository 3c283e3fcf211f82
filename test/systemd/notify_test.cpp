// SPDX-License-Identifier: BSL-1.0
// Type=notify: echomux tells the socket in NOTIFY_SOCKET READY=1 once it listens and
// STOPPING=1 when a signal starts the shutdown, with STATUS= lines; no socket, no harm.
#include "notify_receiver.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <fstream>

using namespace echomux;
using namespace echomux::test;

namespace {

void ready_then_stopping(bool abstract) {
    NotifyReceiver manager(abstract);
    ProcessOptions options;
    options.env["NOTIFY_SOCKET"] = manager.name();
    Server server({"--shutdown-delay=0.2"}, options);

    const Notification ready = manager.next();
    BOOST_TEST(ready.text == "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(server.port()));
    BOOST_TEST(ready.sender == server.process().pid());
    Fd client = connect_to(server.port());  // stays open: the drain reports it

    server.process().signal(SIGTERM);
    const Notification stopping = manager.next();
    BOOST_TEST(stopping.text == "STOPPING=1\nSTATUS=received SIGTERM");
    BOOST_TEST(stopping.sender == server.process().pid());
    // With shutdown_delay, STOPPING=1 comes at its start and the drain after it.
    BOOST_TEST(manager.next().text == "STATUS=draining 1 connections");
    BOOST_TEST(server.process().wait_for_err("shutdown_delay over", 5s));
    client.reset();
    BOOST_TEST(server.process().wait(15s).value_or(-1) == 0);
    BOOST_TEST(manager.next(100ms).text == "");  // nothing more
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notify)

BOOST_AUTO_TEST_CASE(a_notify_socket_path_hears_ready_once_listening_and_stopping_at_sigterm) {
    ready_then_stopping(false);
}

BOOST_AUTO_TEST_CASE(an_abstract_notify_socket_hears_the_same) { ready_then_stopping(true); }

// systemctl reload (ExecReload= sends SIGHUP): RELOADING=1 while the settings are read
// again, READY=1 when the server serves with them.
BOOST_AUTO_TEST_CASE(a_reload_says_reloading_then_ready) {
    NotifyReceiver manager(false);
    ProcessOptions options;
    options.env["NOTIFY_SOCKET"] = manager.name();
    Server server({}, options);
    const std::string ready = "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(server.port());
    BOOST_TEST(manager.next().text == ready);
    server.process().signal(SIGHUP);
    BOOST_TEST(manager.next().text == "RELOADING=1\nSTATUS=reloading the settings");
    BOOST_TEST(manager.next().text == ready);
    BOOST_TEST(server.process().wait_for_err("reload: done", 5s));
    BOOST_TEST(server.stop() == 0);
}

// A refused reload says so (issue 25): systemctl status shows why, and READY=1 comes all the
// same, so systemd leaves the reloading state while the old settings serve on.
BOOST_AUTO_TEST_CASE(a_refused_reload_says_why_in_status_and_is_ready_again) {
    NotifyReceiver manager(false);
    ProcessOptions options;
    options.env["NOTIFY_SOCKET"] = manager.name();
    const std::string conf = temp_dir_until_exit("echomux-notify") + "/echomux.conf";
    std::ofstream(conf) << "mode = echo\n";
    Server server({"--config", conf}, options);
    const std::string ready = "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(server.port());
    BOOST_TEST(manager.next().text == ready);

    std::ofstream(conf) << "mode = shout\n";
    server.process().signal(SIGHUP);
    BOOST_TEST(manager.next().text == "RELOADING=1\nSTATUS=reloading the settings");
    BOOST_TEST(manager.next().text == "READY=1\nSTATUS=reload failed: file " + conf +
                                          ":1: mode = 'shout': must be one of: echo, upper, prefix; "
                                          "the running settings stay");

    std::ofstream(conf) << "mode = upper\n";  // a good one after it: the status is the usual again
    server.process().signal(SIGHUP);
    BOOST_TEST(manager.next().text == "RELOADING=1\nSTATUS=reloading the settings");
    BOOST_TEST(manager.next().text == ready);
    BOOST_TEST(server.stop() == 0);
}

// Serving matters more than telling: a notify socket nobody listens on changes nothing.
BOOST_AUTO_TEST_CASE(a_notify_socket_nobody_reads_does_not_stop_the_server) {
    for (const std::string name : {"/nonexistent/notify", "@echomux-nobody-listens", "not-a-path"}) {
        ProcessOptions options;
        options.env["NOTIFY_SOCKET"] = name;
        Server server({"--log-level=debug"}, options);
        Fd client = connect_to(server.port());
        send_all(client.get(), "still here\n");
        BOOST_TEST(recv_exact(client.get(), 11) == "still here\n");
        client.reset();
        BOOST_TEST(server.stop() == 0);
    }
}

BOOST_AUTO_TEST_SUITE_END()
