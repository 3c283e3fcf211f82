// SPDX-License-Identifier: BSL-1.0
// echomux-bench and echomux-client against every echomux: greetings (counted or found by
// the probe), prefix mode, and the shipped Kubernetes bench Job against the shipped conf.
#define BOOST_TEST_MODULE echomux tools speak every echomux
#include "support/net.hpp"
#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <fstream>
#include <memory>
#include <regex>
#include <thread>

using namespace echomux::test;
using echomux::Fd;

namespace {

Run run(const std::string& tool, std::vector<std::string> args, std::string input = "") {
    args.insert(args.begin(), tool_binary(tool));
    return run_to_end(args, ProcessOptions{{}, {}, std::move(input)}, 90s);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `- ARG` lines under the first `args:` of a manifest, as the kubelet passes them.
std::vector<std::string> job_args(const std::string& path) {
    std::ifstream file(path);
    BOOST_REQUIRE_MESSAGE(file, "cannot read " << path);
    std::vector<std::string> args;
    bool in_args = false;
    const std::regex item(R"(^\s+- (\S.*)$)");
    for (std::string line; std::getline(file, line);) {
        std::smatch m;
        if (std::regex_search(line, std::regex(R"(^\s+args:\s*$)"))) in_args = true;
        else if (in_args && std::regex_match(line, m, item)) args.push_back(m[1]);
        else if (in_args && !args.empty()) break;
    }
    return args;
}

// An echo server written here, greeting each connection with `lines` lines. With
// `greet_late`, the greeting waits until the first bytes have arrived (as a slow server's
// might): it still comes before their echo, which is all the probe relies on.
class GreetingEchoServer {
public:
    GreetingEchoServer(int lines, bool greet_late) : lines_(lines), late_(greet_late), listener_(listen_on_loopback(port_)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~GreetingEchoServer() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
        for (auto& t : connections_) t.join();  // each ends when its client closes (or in 10 s)
    }
    int port() const { return port_; }

private:
    void serve() {
        for (int n = 0; n < 64; ++n) {  // more than any test here opens
            Fd c(::accept(listener_.get(), nullptr, nullptr));
            if (!c) return;
            connections_.emplace_back([this, fd = std::make_shared<Fd>(std::move(c))] { serve(fd->get()); });
        }
    }
    // Not the test's send_all: a client that has gone is no failure here.
    static void send_quietly(int c, const std::string& bytes) {
        for (std::size_t at = 0; at < bytes.size();) {
            const ssize_t n = ::send(c, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n <= 0) return;
            at += static_cast<std::size_t>(n);
        }
    }
    void serve(int c) const {
        set_receive_timeout(c, 10000);  // a bound, never a synchronisation
        std::string greeting;
        for (int i = 0; i < lines_; ++i) greeting += "line " + std::to_string(i + 1) + " of the greeting\n";
        if (!late_) send_quietly(c, greeting);
        char buf[4096];
        for (bool first = true;; first = false) {
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            if (first && late_) send_quietly(c, greeting);
            send_quietly(c, std::string(buf, static_cast<std::size_t>(n)));
        }
    }
    int lines_;
    bool late_;
    int port_ = 0;
    Fd listener_;
    std::thread thread_;
    std::vector<std::thread> connections_;  // only the accepting thread adds to it
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_bench_jobs_own_arguments_pass_against_the_base_deployments_conf) {
    const std::string root = ECHOMUX_SOURCE_DIR;
    std::vector<std::string> args = job_args(root + "/deploy/kubernetes/bench/job.yaml");
    BOOST_REQUIRE(!args.empty() && args.front() == "run");
    // The base conf, as the Deployment runs it (POD_NAME from the downward API, ports from
    // the environment); a port taken meanwhile by another test: start again, three times at most.
    std::unique_ptr<Process> server;
    int port = 0, metrics = 0;
    for (int attempt = 0; attempt < 3 && !server; ++attempt) {
        port = free_port();
        metrics = free_port();
        server = std::make_unique<Process>(
            std::vector<std::string>{echomux_binary(), "--config", root + "/deploy/kubernetes/base/echomux.conf"},
            ProcessOptions{{{"POD_NAME", "x"}, {"ECHOMUX_PORT", std::to_string(port)},
                            {"ECHOMUX_METRICS_PORT", std::to_string(metrics)}},
                           {},
                           {}});
        if (!server->wait_for_err("listening on ", 10s)) server.reset();
    }
    BOOST_REQUIRE(server);
    // Only where the server is changes: the Services' names become localhost.
    for (auto& a : args) {
        if (a.rfind("--host=", 0) == 0) a = "--host=localhost";
        else if (a.rfind("--port=", 0) == 0) a = "--port=" + std::to_string(port);
        else if (a.rfind("--metrics-url=", 0) == 0) a = "--metrics-url=http://localhost:" + std::to_string(metrics) + "/metrics";
        BOOST_TEST(!contains(a, "$("), a);
    }
    const Run r = run("echomux-bench", args);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, R"("errors":0,)"), r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex(R"("greeting":\["echomux x sees you as [^"]+"\])")), r.out);
}

BOOST_AUTO_TEST_CASE(bench_verifies_greeting_and_prefix_in_every_workload) {
    Server server({"--udp=on", "--udp-rate-per-source=0", "--mode=prefix", "--prefix=${POD_NAME}: ",
                   "--greeting=hello from ${POD_NAME}"},
                  ProcessOptions{{{"POD_NAME", "pod-a"}}, {}, {}});
    const std::string port = "--port=" + std::to_string(server.port());
    const std::vector<std::vector<std::string>> workloads = {
        {"--greeting-lines=auto"},
        {"--greeting-lines=1", "--workload=stream", "--size=1000"},
        {"--greeting-lines=1", "--connect-rate=200", "--size=10"},
        {"--greeting-lines=auto", "--rate=500", "--connections=5"},
        {"--workload=udp", "--connections=2"},
    };
    for (const auto& extra : workloads) {
        std::vector<std::string> args = {"run", port, "--warmup=0.1", "--duration=0.3", "--json", "--mode=prefix",
                                         "--prefix=pod-a: "};
        args.insert(args.end(), extra.begin(), extra.end());
        const Run r = run("echomux-bench", args);
        BOOST_TEST(r.status == 0, extra.front() << ": " << r.err);
        BOOST_TEST(contains(r.out, R"("errors":0,)"), r.out);
        const bool udp = extra.front() == "--workload=udp";
        BOOST_TEST(contains(r.out, udp ? R"("greeting":[])" : R"("greeting":["hello from pod-a"])"), r.out);
    }
}

BOOST_AUTO_TEST_CASE(bench_fails_on_a_prefix_or_greeting_that_does_not_come) {
    Server server({"--mode=prefix", "--prefix=${POD_NAME}: ", "--greeting=hi"}, ProcessOptions{{{"POD_NAME", "pod-a"}}, {}, {}});
    const std::string port = "--port=" + std::to_string(server.port());
    const std::vector<std::string> base = {"run", port, "--warmup=0", "--duration=0.2", "--connections=2"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return run("echomux-bench", args);
    };
    const Run probed = with({"--mode=prefix", "--prefix=pod-b: ", "--greeting-lines=auto"});
    BOOST_TEST(probed.status == 1);
    BOOST_TEST(probed.err == "echomux-bench: the server put 'pod-a: ' before the probe's echo, not 'pod-b: ' (--prefix)\n");
    const Run counted = with({"--mode=prefix", "--prefix=pod-b: ", "--greeting-lines=1"});
    BOOST_TEST(counted.status == 1);
    BOOST_TEST(contains(counted.out, "wrong byte at stream offset 4: expected 'b"), counted.out);
    // No greeting expected: the greeting's bytes are taken for a wrong echo.
    const Run ungreeted = with({"--mode=prefix", "--prefix=pod-a: "});
    BOOST_TEST(ungreeted.status == 1);
    // (The greeting may come alone or with the echo in one read.)
    BOOST_TEST(contains(ungreeted.out, R"(wrong byte at stream offset 0: expected 'p)"), ungreeted.out);
    BOOST_TEST(contains(ungreeted.out, R"(received 'hi\x0a)"), ungreeted.out);
}

BOOST_AUTO_TEST_CASE(greeting_auto_finds_every_line_before_the_echo_however_late) {
    for (const int lines : {0, 1, 3})
        for (const bool late : {false, true}) {
            GreetingEchoServer server(lines, late);
            const std::string port = std::to_string(server.port());
            std::string expected;
            for (int i = 0; i < lines; ++i) expected += "line " + std::to_string(i + 1) + " of the greeting\n";
            const Run client =
                run("echomux-client", {"interactive", "--port", port, "--greeting-lines", "auto"}, "one\ntwo\n");
            BOOST_TEST(client.status == 0, client.err);
            BOOST_TEST(client.out == expected + "one\ntwo\n", lines << " lines, late " << late);
            const Run bench = run("echomux-bench", {"run", "--port", port, "--greeting-lines", "auto", "--warmup", "0",
                                                    "--duration", "0.2", "--connections", "3", "--json"});
            BOOST_TEST(bench.status == 0, bench.err);
            BOOST_TEST(contains(bench.out, R"("errors":0,)"), bench.out);
        }
}

BOOST_AUTO_TEST_CASE(client_checks_each_line_after_the_prefix) {
    Server server({"--mode=prefix", "--prefix=${POD_NAME}: ", "--greeting=hello %%"}, ProcessOptions{{{"POD_NAME", "b"}}, {}, {}});
    const std::string port = std::to_string(server.port());
    const Run ok = run("echomux-client", {"interactive", "--port", port, "--mode", "prefix", "--prefix", "b: ",
                                          "--greeting-lines", "1"},
                       "one\ntwo\n");
    BOOST_TEST(ok.status == 0, ok.err);
    BOOST_TEST(ok.out == "hello %\nb: one\nb: two\n");
    const Run wrong = run("echomux-client", {"interactive", "--port", port, "--mode", "prefix", "--prefix", "a: ",
                                             "--greeting-lines", "auto"},
                          "one\n");
    BOOST_TEST(wrong.status == 1);
    BOOST_TEST(wrong.err == "echomux-client: the server put 'b: ' before the probe's echo, not 'a: ' (--prefix)\n");
    const Run echo = run("echomux-client", {"interactive", "--port", port, "--greeting-lines", "auto"}, "one\n");
    BOOST_TEST(echo.status == 1);
    BOOST_TEST(echo.err == "echomux-client: the server put 'b: ' before the probe's echo, not '': is it in prefix mode?\n");
}
