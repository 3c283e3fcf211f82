// SPDX-License-Identifier: BSL-1.0
// Wrong usage of echomux-bench and echomux-client is refused before any work (exit 2, one
// line and the hint), and a client that waits too long says how long it waited.
#define BOOST_TEST_MODULE echomux tool usage
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>

using namespace echomux::test;
using echomux::Fd;

namespace {

Run run(const std::string& tool, std::vector<std::string> args, std::string input = "") {
    args.insert(args.begin(), tool_binary(tool));
    return run_to_end(args, ProcessOptions{{}, {}, std::move(input)}, 60s);
}

// A port that is listened on but never accepted: a tool that started its work connects,
// and the connection waits in the backlog, where the test finds it.
struct Witness {
    Witness() : listener(listen_on_loopback(port)) { ::fcntl(listener.get(), F_SETFL, O_NONBLOCK); }
    bool was_contacted() const { return Fd(::accept(listener.get(), nullptr, nullptr)).get() >= 0; }
    int port = 0;
    Fd listener;
};

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        ::closedir(d);
    }
    return names;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bench_run_refuses_wrong_usage_before_connecting) {
    TempDir dir;
    Witness server;
    const std::string port = "--port=" + std::to_string(server.port);
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::vector<Case> cases = {
        {{"--hgrm", "/nonexistent-dir/x.hgrm"}, "--hgrm /nonexistent-dir/x.hgrm: cannot write: No such file or directory"},
        {{"--hgrm", dir.path()}, "--hgrm " + dir.path() + ": cannot write: is a directory"},
        {{"--json", "--csv"}, "--json and --csv cannot be used together"},
        {{"--server-pid", "1", "--metrics-url", "http://127.0.0.1:1/metrics"}, "--server-pid and --metrics-url: give one"},
        {{"--workload", "stream", "--rate", "100"}, "--rate goes with --workload pingpong"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"run", port, "--duration", "0.2", "--warmup", "0"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const Run r = run("echomux-bench", args);
        BOOST_TEST(r.status == 2, c.line);
        BOOST_TEST(r.out == "");
        BOOST_TEST(r.err == "echomux-bench: " + c.line + "\nTry 'echomux-bench run --help'.\n");
        BOOST_TEST(!server.was_contacted(), c.line);
    }
}

BOOST_AUTO_TEST_CASE(bench_compare_refuses_wrong_usage_before_starting_a_server) {
    TempDir dir;
    const std::string out = dir.path() + "/out";
    struct Case {
        std::vector<std::string> args;
        std::string line_start;
    };
    const std::vector<Case> cases = {
        {{"--backends", "kqueue"}, "--backends kqueue: not a backend of " + echomux_binary() + " (it offers asio, "},
        {{"--backends", "asio", "asio"}, "the server name 'asio' is given twice"},
        {{"--server", "x=true {port}", "--server", "x=true {port}"}, "the server name 'x' is given twice"},
        {{"--server", "nothing"}, "--server takes NAME=COMMAND with {port} in COMMAND"},
        {{"--client-cpu", "4096"}, "--client-cpu 4096: not a CPU this process may run on"},
        {{"--reference", "/nonexistent/server"}, "--reference /nonexistent/server: not an executable file"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"compare", "--quick", "--out", out};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const Run r = run("echomux-bench", args);
        BOOST_TEST(r.status == 2, c.line_start);
        BOOST_TEST(r.err.rfind("echomux-bench: " + c.line_start, 0) == 0, r.err);
        BOOST_TEST(r.err.find("\nTry 'echomux-bench compare --help'.\n") != std::string::npos, r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 2, r.err);
        // No server was started: none left its log in the report directory.
        for (const auto& name : files_in(out)) BOOST_TEST(name.rfind("server-", 0) != 0, name);
    }
    // A report directory that cannot be made.
    const Run r = run("echomux-bench", {"compare", "--quick", "--out", "/proc/echomux-report"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.rfind("echomux-bench: --out /proc/echomux-report: cannot write: /proc/echomux-report: ", 0) == 0,
               r.err);
}

BOOST_AUTO_TEST_CASE(client_timeouts_say_timed_out_after_n_seconds) {
    // Connections complete in the kernel's backlog, and nothing ever answers.
    int port = 0;
    const Fd silent = listen_on_loopback(port);
    const std::string p = std::to_string(port);
    const Run interactive = run("echomux-client", {"interactive", "--port", p, "--timeout", "0.3"}, "hello\n");
    BOOST_TEST(interactive.status == 1);
    BOOST_TEST(interactive.err == "echomux-client: timed out after 0.3 s waiting for the reply\n");
    const Run two = run("echomux-client", {"two-socket", "--port", p, "--timeout", "0.25"});
    BOOST_TEST(two.status == 1);
    BOOST_TEST(two.err == "echomux-client: timed out after 0.25 s waiting for the reply\n");
    const Run selectors = run("echomux-client", {"selectors", "--port", p, "--timeout", "0.2"});
    BOOST_TEST(selectors.status == 1);
    BOOST_TEST(selectors.err == "echomux-client: timed out after 0.2 s waiting for the echo\n");
}
