// SPDX-License-Identifier: BSL-1.0
// The `backend` key: every name the server prints is a value it accepts, `auto` picks a
// loop at start and says which and why, and epoll-level / epoll-edge agree with epoll_mode
// or the start fails naming both keys.
#include "config_run.hpp"
#include "echomux/backends/uring/ring.hpp"
#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <regex>
#include <sstream>

using namespace echomux::test;

namespace {

// The labels `--version` lists on its "backends:" line.
std::vector<std::string> version_labels() {
    const Run r = run({"--version"});
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(r.out, m, std::regex("backends: ([^\n]*)\n")));
    std::istringstream words(m[1].str());
    std::vector<std::string> labels;
    for (std::string w; words >> w;) labels.push_back(w);
    return labels;
}

// Starts echomux with `args`, checks it echoes, stops it; returns its log.
std::string serve_and_echo(std::vector<std::string> args) {
    args.insert(args.begin(), {echomux_binary(), "--listen=127.0.0.1", "--port=0"});
    Process p(args);
    BOOST_REQUIRE_MESSAGE(p.wait_for_err("listening on ", 10s), p.err());
    std::smatch m;
    const std::string log = p.err();
    BOOST_REQUIRE(std::regex_search(log, m, std::regex("listening on [^ ]*:([0-9]+) ")));
    echomux::Fd client = connect_to(std::stoi(m[1]));
    send_all(client.get(), "ping");
    BOOST_TEST(recv_exact(client.get(), 4) == "ping");
    client.reset();
    p.signal(SIGTERM);
    BOOST_TEST(p.wait(10s).value_or(-1) == 0);
    return p.err();
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_label_the_server_prints_is_a_backend_value_it_runs_as) {
    const auto labels = version_labels();
    BOOST_TEST(labels.size() == 6u);
    for (const auto& label : labels) {
        if (label == "io_uring" && echomux::uring::unavailable_reason()) continue;  // the kernel refuses it here
        const std::string log = serve_and_echo({"--backend=" + label});
        BOOST_TEST(contains(log, " backend=" + label + " "), label << ": " << log);
    }
}

BOOST_AUTO_TEST_CASE(backend_epoll_edge_is_printed_back_as_written_with_the_mode_it_implies) {
    const Run r = run({"--print-config"}, {{"ECHOMUX_BACKEND", "epoll-edge"}});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
    BOOST_TEST(contains(r.out, "\nbackend = epoll-edge             # env ECHOMUX_BACKEND\n"), r.out);
    BOOST_TEST(contains(r.out, "\nepoll_mode = edge                # default: backend\n"), r.out);
    // Saying the same mode twice is no conflict.
    BOOST_TEST(run({"--backend=epoll-level", "--epoll-mode=level", "--print-config"}).status == 0);
}

BOOST_AUTO_TEST_CASE(backend_and_epoll_mode_that_disagree_fail_the_start_naming_both_keys) {
    const auto conf = write_conf("backend = epoll-edge\n");
    const Run r = run({"--config", conf, "--epoll-mode=level"});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "command line: epoll_mode = 'level' contradicts backend = 'epoll-edge' (file " + conf +
                                   ":1); set one of them, or backend = epoll\n"),
               r.err);
    // A bad epoll_mode is reported as bad, not as a conflict.
    const Run bad = run({"--backend=epoll-edge", "--epoll-mode=both"});
    BOOST_TEST(contains(bad.err, "epoll_mode = 'both': must be one of: level, edge"), bad.err);
}

// io_uring here, or epoll with the kernel's reason: whichever, the first line says so and
// the server runs as that. (test/uring/refusal_test.cpp sees the epoll side under a filter.)
BOOST_AUTO_TEST_CASE(backend_auto_starts_and_logs_which_loop_it_picked_and_why) {
    const auto refused = echomux::uring::unavailable_reason();
    const std::string log = serve_and_echo({"--backend=auto", "--epoll-mode=edge"});
    if (!refused) {
        BOOST_TEST(contains(log, " echomux info: backend auto: io_uring (the kernel allows it)\n"), log);
        BOOST_TEST(contains(log, " backend=io_uring "), log);
    } else {
        BOOST_TEST(contains(log, " echomux info: backend auto: epoll-edge (io_uring refused: "), log);
        BOOST_TEST(contains(log, " backend=epoll-edge "), log);
    }
    BOOST_TEST(!contains(log, "has no effect"), "epoll_mode may apply under auto: " << log);
    BOOST_TEST(contains(run({"--backend=auto", "--print-config"}).out, "backend = auto "));
}
