// SPDX-License-Identifier: BSL-1.0
// Real event loops run in this process, where the test can take descriptors away and
// make a selector fail: the accept pause after EMFILE keeps its 100 ms on every backend,
// and a selector error ends one connection, never the loop.
#include "echomux/backends/event_loop_factory.hpp"
#include "echomux/server/listener.hpp"
#include "echomux/backends/native/native_loop.hpp"
#include "echomux/backends/native/poll_selector.hpp"
#include "echomux/backends/uring/ring.hpp"
#include "echomux/util/socket_address.hpp"
#include "support/backends.hpp"
#include "support/net.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

using namespace echomux;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {
// io_uring has a case of its own, which the kernel may refuse (io_uring_allowed).
std::vector<std::string> backends_but_io_uring() {
    std::vector<std::string> names;
    for (const std::string& b : test::all_backends())
        if (b != "io_uring") names.push_back(b);
    return names;
}

// Where the kernel refuses io_uring (a container's seccomp profile), its case is skipped with
// the reason the server would give: Boost.Test reports it skipped, never passed.
boost::test_tools::assertion_result io_uring_allowed(boost::unit_test::test_unit_id) {
    const auto reason = uring::unavailable_reason();
    boost::test_tools::assertion_result allowed(!reason);
    if (reason) allowed.message() << "io_uring: " << *reason;
    return allowed;
}

Config loop_config(const std::string& backend) {
    Config c;
    c.listen = "127.0.0.1";
    c.port = 0;
    c.backend = backend == "asio"       ? Backend::asio
                : backend == "poll"     ? Backend::poll
                : backend == "select"   ? Backend::select
                : backend == "io_uring" ? Backend::io_uring
                                        : Backend::epoll;
    c.epoll_mode = backend == "epoll-edge" ? EpollMode::edge : EpollMode::level;
    return c;
}

// One loop on its own thread, drained and joined at the end of the test.
class RunningLoop {
public:
    RunningLoop(const Config& config, std::unique_ptr<native::Selector>* selector = nullptr) : shared_(config) {
        Listeners listeners = open_listeners(config);
        port_ = listeners.port;
        Fd listener = std::move(listeners.sockets.front());
        loop_ = selector ? std::make_unique<native::NativeLoop>(shared_, std::move(listener), Fd(), std::move(*selector))
                         : make_event_loop(shared_, std::move(listener), Fd());
        thread_ = std::thread([this] {
            try {
                loop_->run();
            } catch (const std::exception& e) {
                failure_ = e.what();  // asserted on the test's thread
            }
            ended_ = true;
        });
    }
    ~RunningLoop() {
        loop_->request_drain();
        thread_.join();
    }
    int port() const { return port_; }
    const Stats& stats() const { return loop_->stats(); }
    bool ended() const { return ended_; }
    const std::string& failure() const { return failure_; }

private:
    SharedState shared_;
    int port_ = 0;
    std::unique_ptr<EventLoop> loop_;
    std::atomic<bool> ended_{false};
    std::string failure_;
    std::thread thread_;
};

void expect_echo(int fd, const std::string& text) {
    test::send_all(fd, text);
    BOOST_TEST(test::recv_exact(fd, text.size()) == text);
}

// A small open file limit for one test (restored after), so that taking every descriptor is
// cheap.
class SmallOpenFileLimit {
public:
    SmallOpenFileLimit() {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        const int lowest_free = ::dup(0);
        ::close(lowest_free);
        rlimit small = saved_;
        small.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, static_cast<rlim_t>(lowest_free) + 256);
        BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &small) == 0);
    }
    ~SmallOpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

// While alive, this process has no free descriptor (accept4 fails with EMFILE): every one up
// to the limit is taken, not the limit lowered, since an io_uring accept keeps the limit in
// force when it was submitted.
class NoSpareDescriptors {
public:
    NoSpareDescriptors() {
        for (;;) {
            const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) break;
            held_.emplace_back(fd);
            BOOST_REQUIRE(held_.size() < 4096);
        }
        BOOST_REQUIRE(errno == EMFILE);
    }
    void restore() { held_.clear(); }

private:
    std::vector<Fd> held_;
};
}  // namespace

namespace {
// Retries of a paused accept come kAcceptPause (100 ms) after the failure before them (on
// average over five, give or take 50 ms), and the waiting clients are served once
// descriptors are back.
void accept_pause_after_emfile_lasts_100_ms_on(const std::string& backend) {
    SmallOpenFileLimit limit;
    RunningLoop loop(loop_config(backend));
    {
        // One full connection life first, until the loop has closed it: whatever a first
        // connection sets up lazily (a UBSan build with its vptr check opens a pipe the first
        // time it meets each type) has its descriptors before there are none.
        Fd first = test::connect_to(loop.port());
        expect_echo(first.get(), "warm");
    }
    const auto warm_start = SteadyClock::now();
    while (loop.stats().closed_eof.get() == 0 && SteadyClock::now() - warm_start < 5s) std::this_thread::sleep_for(1ms);
    BOOST_REQUIRE_EQUAL(loop.stats().closed_eof.get(), 1u);
    // The count comes before the close is done; an echo on another connection comes after
    // it (one thread runs the loop).
    Fd second = test::connect_to(loop.port());
    expect_echo(second.get(), "after");
    std::vector<Fd> clients;
    for (int i = 0; i < 3; ++i) clients.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const auto address = parse_socket_address("127.0.0.1", static_cast<std::uint16_t>(loop.port()));
    std::vector<long long> retry_ms;  // when each failed accept was seen
    {
        NoSpareDescriptors exhausted;
        for (auto& c : clients) {
            BOOST_REQUIRE(::connect(c.get(), address->get(), address->length) == 0);  // no new descriptor here
            BOOST_REQUIRE(::send(c.get(), "x", 1, MSG_NOSIGNAL) == 1);
        }
        const auto start = SteadyClock::now();
        std::uint64_t seen = 0;
        while (retry_ms.size() < 6 && SteadyClock::now() - start < 3s) {
            const std::uint64_t now_seen = loop.stats().fd_exhaustion.get();
            if (now_seen != seen) {
                retry_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count());
                seen = now_seen;
            }
            std::this_thread::sleep_for(1ms);  // the sampling period of this measurement
        }
    }
    BOOST_REQUIRE_EQUAL(retry_ms.size(), 6u);
    // Averaged over five pauses: a late sample (this thread descheduled on a busy machine)
    // lengthens one pause and shortens the next by as much, but moves only the two ends.
    for (std::size_t i = 1; i < retry_ms.size(); ++i)
        BOOST_TEST_MESSAGE(backend << ": accept paused " << retry_ms[i] - retry_ms[i - 1] << " ms");
    const double pause = (retry_ms.back() - retry_ms.front()) / 5.0;
    BOOST_TEST(pause >= 90);   // a pause, not a spin
    BOOST_TEST(pause <= 400);  // and retried: a loaded host wakes a loop late by up to hundreds of ms
    const auto restored = SteadyClock::now();
    for (auto& c : clients) {
        test::set_receive_timeout(c.get(), 2000);
        BOOST_TEST(test::recv_exact(c.get(), 1) == "x");
    }
    BOOST_TEST((SteadyClock::now() - restored <= 1000ms));  // served at the next retry (100 ms), with slack for a busy machine
    BOOST_TEST(loop.failure() == "");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(event_loop)

BOOST_DATA_TEST_CASE(accept_pause_after_emfile_lasts_100_ms, boost::unit_test::data::make(backends_but_io_uring()),
                     backend) {
    accept_pause_after_emfile_lasts_100_ms_on(backend);
}

BOOST_AUTO_TEST_CASE(accept_pause_after_emfile_lasts_100_ms_on_io_uring,
                     *boost::unit_test::precondition(io_uring_allowed)) {
    accept_pause_after_emfile_lasts_100_ms_on("io_uring");
}

namespace {
// poll(2), but changing a registration fails while `fail` is set, as epoll_ctl can with
// ENOMEM or ENOSPC (fs.epoll.max_user_watches).
class FailingSelector final : public native::PollSelector {
public:
    explicit FailingSelector(std::atomic<bool>& fail) : fail_(fail) {}

private:
    void change(int fd, unsigned events) override {
        if (fail_) throw std::system_error(ENOMEM, std::generic_category(), "epoll_ctl");
        PollSelector::change(fd, events);
    }
    std::atomic<bool>& fail_;
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_selector_error_ends_only_its_connection) {
    std::atomic<bool> fail{false};
    std::unique_ptr<native::Selector> selector = std::make_unique<FailingSelector>(fail);
    RunningLoop loop(loop_config("poll"), &selector);
    Fd bystander = test::connect_to(loop.port());
    expect_echo(bystander.get(), "before");

    fail = true;
    // The victim never reads: the server's sends go short, it asks to watch for writable,
    // and that change fails.
    Fd victim = test::connect_to(loop.port());
    const std::string block(1 << 20, 'v');
    const timeval short_wait{0, 200000};
    ::setsockopt(victim.get(), SOL_SOCKET, SO_SNDTIMEO, &short_wait, sizeof short_wait);
    for (int i = 0; i < 32 && ::send(victim.get(), block.data(), block.size(), MSG_NOSIGNAL) > 0; ++i) {
    }
    // It reads what was echoed, then finds the connection ended (FIN or RST), not a timeout.
    test::set_receive_timeout(victim.get(), 5000);
    char chunk[65536];
    ssize_t n;
    while ((n = ::recv(victim.get(), chunk, sizeof chunk, 0)) > 0) {
    }
    BOOST_TEST((n == 0 || errno == ECONNRESET));
    BOOST_TEST(loop.stats().closed_reset.get() == 1u);

    expect_echo(bystander.get(), "after");  // its interest never changed: untouched
    BOOST_TEST(!loop.ended());
    BOOST_TEST(loop.failure() == "");
}

BOOST_AUTO_TEST_SUITE_END()
