// SPDX-License-Identifier: BSL-1.0
// Where the kernel refuses io_uring, `backend = io_uring` fails the start with one clear
// line and exit status 1, and the io_uring tests are skipped with that line, never passed.
// The refusal is real: echomux runs under a seccomp filter (deny_io_uring) that fails
// io_uring_setup as a container runtime's default profile does.
#define BOOST_TEST_MODULE echomux io_uring refusal
#include <boost/test/unit_test.hpp>

#include "support/process.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>
#include <vector>

using namespace echomux::test;

namespace {

Run run_denied(const std::string& error, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {ECHOMUX_DENY_IO_URING, error});
    return run_to_end(argv, {}, 10s);
}

std::vector<std::string> echomux_with(const std::string& backend) {
    return {echomux_binary(), "--backend=" + backend, "--listen=127.0.0.1", "--port=0"};
}

// EPERM's wording names the sysctl when it is what refuses (only it, not seccomp, would
// refuse without the filter too); otherwise the seccomp profile.
std::string eperm_reason() {
    std::string disabled;
    std::ifstream("/proc/sys/kernel/io_uring_disabled") >> disabled;
    if (disabled == "2") return "Operation not permitted: kernel.io_uring_disabled = 2";
    if (disabled == "1" && ::geteuid() != 0)
        return "Operation not permitted: kernel.io_uring_disabled = 1 and this user is not in kernel.io_uring_group";
    return "Operation not permitted: a seccomp profile, such as a container runtime's default, blocks it";
}

std::size_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

bool ends_with(const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(io_uring_refused_with_eperm_fails_the_start_with_one_line_and_exit_1) {
    const Run r = run_denied("EPERM", echomux_with("io_uring"));
    BOOST_TEST(r.status == 1);
    BOOST_TEST(lines(r.err) == 1u, r.err);
    BOOST_TEST(ends_with(r.err, " echomux error: backend = io_uring: the kernel refused io_uring_setup (" +
                                    eperm_reason() + "); use backend = epoll\n"),
               r.err);
    BOOST_TEST(r.err.find("listening on") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(io_uring_missing_with_enosys_fails_the_start_with_one_line_and_exit_1) {
    const Run r = run_denied("ENOSYS", echomux_with("io_uring"));
    BOOST_TEST(r.status == 1);
    BOOST_TEST(lines(r.err) == 1u, r.err);
    BOOST_TEST(ends_with(r.err, " echomux error: backend = io_uring: the kernel has no io_uring_setup (Function not "
                                "implemented: built without io_uring, or a seccomp profile); use backend = epoll\n"),
               r.err);
}

// The filter takes io_uring away and nothing else: the backend it names still serves.
BOOST_AUTO_TEST_CASE(the_backend_the_refusal_names_starts_under_the_same_filter) {
    Process p({ECHOMUX_DENY_IO_URING, "EPERM", echomux_binary(), "--backend=epoll", "--listen=127.0.0.1", "--port=0"});
    BOOST_TEST(p.wait_for_err("listening on ", 10s), p.err());
    p.signal(SIGTERM);
    BOOST_TEST(p.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_test_probe_skips_with_the_reason_only_where_the_kernel_refuses) {
    const Run denied = run_denied("EPERM", {ECHOMUX_IO_URING_PROBE, "/bin/sh", "-c", "exit 3"});
    BOOST_TEST(denied.status == 77);
    BOOST_TEST(denied.out == "SKIP: backend = io_uring: the kernel refused io_uring_setup (" + eperm_reason() +
                                 "); use backend = epoll\n");

    Process allowed({ECHOMUX_IO_URING_PROBE, "/bin/sh", "-c", "exit 3"});
    const auto status = allowed.wait(10s);
    BOOST_REQUIRE(status);
    if (*status == 77) {  // this kernel refuses io_uring by itself: the probe says why
        BOOST_TEST(allowed.out().rfind("SKIP: backend = io_uring: ", 0) == 0u, allowed.out());
    } else {
        BOOST_TEST(*status == 3);  // the command ran, and its status is the test's
    }
}

// backend = auto where the kernel refuses io_uring: epoll, and the reason, then it serves.
BOOST_AUTO_TEST_CASE(backend_auto_falls_back_to_epoll_with_the_kernels_reason) {
    Process p({ECHOMUX_DENY_IO_URING, "EPERM", echomux_binary(), "--backend=auto", "--listen=127.0.0.1", "--port=0"});
    BOOST_TEST(p.wait_for_err("listening on ", 10s), p.err());
    BOOST_TEST(p.err().find(" echomux info: backend auto: epoll-level (io_uring refused: the kernel refused "
                            "io_uring_setup (" + eperm_reason() + "))\n") != std::string::npos,
               p.err());
    BOOST_TEST(p.err().find(" backend=epoll-level ") != std::string::npos, p.err());
    p.signal(SIGTERM);
    BOOST_TEST(p.wait(10s).value_or(-1) == 0);
}
