// SPDX-License-Identifier: BSL-1.0
// echomux_connection_duration_seconds in microseconds (issue 25): a connection shorter than
// a millisecond adds what it lasted to the sum, not 0; on a manual clock, to the microsecond.
#include "echomux/backends/socket_transport.hpp"
#include "echomux/core/connection.hpp"
#include "echomux/core/service.hpp"
#include "echomux/util/fd.hpp"
#include "support/manual_clock.hpp"

#include "support/service_loop.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

using namespace echomux;
using echomux::test::ManualClock;

using echomux::test::NoHooks;
using echomux::test::TestSocket;

namespace {
// The max_connections slot a real accept would have taken, which the close gives back.
void take_slot(SharedState& shared) {
    ++shared.active;
    ++shared.process.active;
}

// One connection over a socketpair, opened at the clock's time and closed `us` later.
void open_for(Service& service, ManualClock& clock, long long us) {
    int fds[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    Fd ours(fds[0]), peer(fds[1]);
    TestSocket socket(ours.get());
    Connection connection(service, socket);
    connection.start();
    clock.advance_us(us);
    connection.close();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(connection_duration)

BOOST_AUTO_TEST_CASE(short_connections_add_their_microseconds_to_the_duration_sum) {
    ManualClock clock;
    NoHooks hooks;
    SharedState shared{Config{}};
    Service service(shared, hooks, clock);
    const Histogram& duration = service.stats().connection_us;
    for (long long us : {250, 40, 999}) {
        take_slot(shared);
        open_for(service, clock, us);
    }
    BOOST_TEST(duration.count() == 3u);
    BOOST_TEST(duration.sum() == 1289u);
    BOOST_TEST(duration.bound(0) == 1000u);  // the 1 ms bucket: all three
    BOOST_TEST(duration.in_bucket(0) == 3u);

    take_slot(shared);
    open_for(service, clock, 1001);  // just over: the 10 ms bucket
    BOOST_TEST(duration.sum() == 2290u);
    BOOST_TEST(duration.in_bucket(0) == 3u);
    BOOST_TEST(duration.in_bucket(1) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
