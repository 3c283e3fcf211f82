// SPDX-License-Identifier: BSL-1.0
#include "support/process.hpp"

#include "support/net.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace echomux::test {

Process::Process(const std::vector<std::string>& argv, const ProcessOptions& options) {
    // Everything the child needs is built before fork(): after it, only exec-safe calls.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        if (name.rfind("ECHOMUX_", 0) != 0 && !options.env.count(name)) env_strings.push_back(entry);
    }
    for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& s : argv_copy) args.push_back(s.data());
    args.push_back(nullptr);

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(in_pipe[0], STDIN_FILENO);
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        if (options.fd_limit) {
            rlimit limit{*options.fd_limit, *options.fd_limit};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    for (std::size_t written = 0; written < options.input.size();) {  // small inputs: fits the pipe
        const ssize_t n = ::write(in_pipe[1], options.input.data() + written, options.input.size() - written);
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    ::close(in_pipe[1]);
    out_reader_ = std::thread([this, fd = out_pipe[0]] { drain(fd, out_); });
    err_reader_ = std::thread([this, fd = err_pipe[0]] { drain(fd, err_); });
}

Process::~Process() {
    if (!status_) {
        ::kill(pid_, SIGKILL);
        wait(10s);
    }
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
}

void Process::drain(int fd, std::string& into) {
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        std::lock_guard lock(mutex_);
        if (n <= 0) {
            (&into == &out_ ? out_closed_ : err_closed_) = true;
            changed_.notify_all();
            break;
        }
        into.append(chunk, static_cast<std::size_t>(n));
        changed_.notify_all();
    }
    ::close(fd);
}

void Process::signal(int sig) const {
    if (!status_) ::kill(pid_, sig);
}

Run run_to_end(const std::vector<std::string>& argv, const ProcessOptions& options,
               std::chrono::milliseconds timeout) {
    Process p(argv, options);
    const auto status = p.wait(timeout);
    BOOST_REQUIRE_MESSAGE(status, argv.at(0) << " did not exit in time: " << p.err());
    return {*status, p.out(), p.err()};
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int raw = 0;
        const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
            // Output is complete once the pipes close; the child is gone, so they will.
            std::unique_lock lock(mutex_);
            changed_.wait_for(lock, 5s, [this] { return out_closed_ && err_closed_; });
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

std::string Process::out() const {
    std::lock_guard lock(mutex_);
    return out_;
}

std::string Process::err() const {
    std::lock_guard lock(mutex_);
    return err_;
}

bool Process::wait_for_err(const std::string& text, std::chrono::milliseconds timeout, int times) const {
    const auto seen = [&] {
        int count = 0;
        for (auto at = err_.find(text); at != std::string::npos; at = err_.find(text, at + text.size())) ++count;
        return count >= times;
    };
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return seen() || err_closed_; }) && seen();
}

long Process::rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

namespace {
// The fields of /proc/PID/stat, numbered as proc(5) numbers them: fields[14] is utime.
std::vector<std::string> stat_fields(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::vector<std::string> fields(3);  // 0 unused, 1 the pid, 2 "(comm)", which may hold spaces
    const auto end_of_name = text.rfind(')');
    if (end_of_name == std::string::npos) return fields;
    std::istringstream rest(text.substr(end_of_name + 2));
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}
}  // namespace

double Process::cpu_seconds() const {
    const std::vector<std::string> fields = stat_fields(pid_);
    if (fields.size() <= 15) return 0;
    const unsigned long long ticks = std::stoull(fields[14]) + std::stoull(fields[15]);  // utime + stime
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

unsigned long long Process::minor_faults() const {
    const std::vector<std::string> fields = stat_fields(pid_);
    return fields.size() > 10 ? std::stoull(fields[10]) : 0;
}

ProcessOptions measuring_memory(ProcessOptions options) {
    const char* asan = std::getenv("ASAN_OPTIONS");
    options.env["ASAN_OPTIONS"] =
        std::string(asan ? asan : "") + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0:allocator_release_to_os_interval_ms=0";
    return options;
}

std::string echomux_binary() {
    const char* path = std::getenv("ECHOMUX_TEST_BINARY");
    return path ? path : ECHOMUX_BINARY_PATH;
}

std::string tool_binary(const std::string& name) { return std::string(ECHOMUX_BINARY_DIR "/") + name; }

std::vector<std::string> backend_args() {
    const char* name = std::getenv("ECHOMUX_TEST_BACKEND");
    const std::string backend = name ? name : "asio";
    return {"--backend=" + backend};  // every label the server prints is a backend value
}

Server::Server(std::vector<std::string> args, const ProcessOptions& options) {
    const bool started = start(std::move(args), options);
    BOOST_REQUIRE_MESSAGE(started, "echomux did not start: " << process_->err());
}

Server Server::with_metrics(std::vector<std::string> args, const ProcessOptions& options) {
    Server server{Unstarted{}};
    args.push_back("--metrics-listen=127.0.0.1");
    for (int attempt = 0; attempt < 10; ++attempt) {
        server.metrics_port_ = free_port();
        std::vector<std::string> with_port = args;
        with_port.push_back("--metrics-port=" + std::to_string(server.metrics_port_));
        const bool started = server.start(with_port, options);
        if (started) return server;
        const bool port_taken = server.process_->err().find("Address already in use") != std::string::npos;
        BOOST_REQUIRE_MESSAGE(port_taken, "echomux did not start: " << server.process_->err());
    }
    BOOST_FAIL("no free metrics port in 10 attempts");
    return server;
}

bool Server::start(std::vector<std::string> args, const ProcessOptions& options) {
    std::vector<std::string> argv = {echomux_binary(), "--port=0"};
    const bool listen_given =
        std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--listen", 0) == 0; });
    if (!listen_given) argv.push_back("--listen=127.0.0.1");
    for (auto& a : backend_args()) argv.push_back(a);
    for (auto& a : args) argv.push_back(a);
    process_ = std::make_unique<Process>(argv, options);
    if (!process_->wait_for_err("listening on ", 10s)) return false;
    std::smatch m;
    const std::string err = process_->err();
    // In every log_format: a text line goes on with a space, a logfmt or JSON msg ends with '"'.
    BOOST_REQUIRE(std::regex_search(err, m, std::regex("listening on [^ \"]*:([0-9]+)[ \"]")));
    port_ = std::stoi(m[1]);
    return true;
}

int Server::listener_port(const std::string& name) const {
    process_->wait_for_err(" listener=" + name + " ", 10s);  // the start lines come one by one
    std::smatch m;
    const std::string err = process_->err();
    BOOST_REQUIRE_MESSAGE(std::regex_search(err, m, std::regex("listening on [^ ]*:([0-9]+) .* listener=" + name + " ")),
                          "no listener " << name << ": " << err);
    return std::stoi(m[1]);
}

int Server::stop(std::chrono::milliseconds timeout) {
    process_->signal(SIGTERM);
    const auto status = process_->wait(timeout);
    BOOST_REQUIRE_MESSAGE(status, "echomux did not exit after SIGTERM");
    return *status;
}

std::uint64_t Server::counter(const std::string& name) const {
    std::smatch m;
    const std::string err = process_->err();
    BOOST_REQUIRE_MESSAGE(std::regex_search(err, m, std::regex("stopped: .*\\b" + name + "=([0-9]+)")),
                          "no " << name << " in the summary: " << err);
    return std::stoull(m[1]);
}

}  // namespace echomux::test
