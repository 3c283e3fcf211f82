// SPDX-License-Identifier: BSL-1.0
// Test helper: run a program (usually the real echomux binary) as a child process with
// captured output, a chosen environment and an optional fd limit; always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace echomux::test {

using namespace std::chrono_literals;

struct ProcessOptions {
    std::map<std::string, std::string> env;  // set in a copy of ours without ECHOMUX_* variables
    std::optional<unsigned long> fd_limit;    // RLIMIT_NOFILE (soft and hard) for the child
    std::string input;                        // the child's stdin (then EOF)
};

// For a child whose memory (RSS) a test measures: under AddressSanitizer, freed memory
// would otherwise wait in its quarantine (hundreds of MiB) instead of going back.
ProcessOptions measuring_memory(ProcessOptions options = {});

class Process {
public:
    Process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
    ~Process();  // SIGKILL if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Exit status (0-255), 128 + signal if killed, or nullopt if still running at the deadline.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string out() const;
    std::string err() const;
    // Waits until stderr contains `text` (`times` times over); false on timeout or exit.
    bool wait_for_err(const std::string& text, std::chrono::milliseconds timeout, int times = 1) const;

    // /proc figures for the child.
    long rss_kib() const;
    double cpu_seconds() const;
    // Page faults served without I/O: each first touch of memory freshly mapped (or given back).
    unsigned long long minor_faults() const;

private:
    void drain(int fd, std::string& into);

    pid_t pid_ = -1;
    std::optional<int> status_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::string out_, err_;
    bool out_closed_ = false, err_closed_ = false;
    std::thread out_reader_, err_reader_;
};

// A program run to its end: its exit status and what it printed.
struct Run {
    int status;
    std::string out, err;
};
// A test failure, and no result, if it has not ended by `timeout`.
Run run_to_end(const std::vector<std::string>& argv, const ProcessOptions& options = {},
               std::chrono::milliseconds timeout = 60s);

// Path of the echomux binary under test, and of its sibling tools (echomux-client, ...).
std::string echomux_binary();
std::string tool_binary(const std::string& name);

// The backend the conformance suite runs against (ECHOMUX_TEST_BACKEND, one of
// support/backends.hpp's all_backends()), as echomux arguments.
std::vector<std::string> backend_args();

// echomux on 127.0.0.1 and a free port, with the backend under test and `args` on top.
class Server {
public:
    explicit Server(std::vector<std::string> args = {}, const ProcessOptions& options = {});
    // Also serving /metrics and /healthz on 127.0.0.1. A port picked by free_port() may be
    // taken by another test process before echomux binds it: then it starts again on another.
    static Server with_metrics(std::vector<std::string> args = {}, const ProcessOptions& options = {});
    int port() const { return port_; }
    // Another listener's port ([listener NAME], tls_port), from its start line.
    int listener_port(const std::string& name) const;
    int metrics_port() const { return metrics_port_; }
    Process& process() { return *process_; }
    // SIGTERM, wait for exit; returns the exit status (fails the test on a timeout).
    int stop(std::chrono::milliseconds timeout = 15s);
    // A counter from the final "stopped:" summary line (after stop()).
    std::uint64_t counter(const std::string& name) const;

private:
    struct Unstarted {};
    explicit Server(Unstarted) {}
    bool start(std::vector<std::string> args, const ProcessOptions& options);  // false: exited before listening

    std::unique_ptr<Process> process_;
    int port_ = 0;
    int metrics_port_ = 0;
};

}  // namespace echomux::test
