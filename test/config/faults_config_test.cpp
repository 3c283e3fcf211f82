// SPDX-License-Identifier: BSL-1.0
// The fault keys refuse what cannot be served, naming the key and where it was set.
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;

BOOST_AUTO_TEST_SUITE(fault_keys)

BOOST_AUTO_TEST_CASE(a_probability_outside_0_to_1_or_not_a_number_is_refused) {
    for (const std::string bad : {"1.5", "-0.1", "abc", "0.", ".5", "1e-1", ""}) {
        const Run r = run({"--fault-probability=" + bad});
        BOOST_TEST(is_config_error(r), bad << ": " << r.err);
        BOOST_TEST(contains(r.err, "fault_probability = '" + bad + "': must be a share from 0 to 1"), r.err);
    }
    BOOST_TEST(run({"--fault-probability=0.25", "--close-after-bytes=1", "--check-config"}).status == 0);
}

BOOST_AUTO_TEST_CASE(two_byte_faults_on_one_listener_are_refused) {
    const auto conf = write_conf("[listener f]\nport = 7100\nclose_after_bytes = 10\nreset_after_bytes = 5\n");
    const Run r = run({"--config", conf});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "listener f: "), r.err);
    BOOST_TEST(contains(r.err, "set one of them (a connection ends one way)"), r.err);
}

BOOST_AUTO_TEST_CASE(a_fault_on_a_udp_listener_is_refused) {
    const Run r = run({"--udp=on", "--stall-after-bytes=64KiB"});
    BOOST_TEST(is_config_error(r), r.err);
    BOOST_TEST(contains(r.err, "command line: udp = on with stall_after_bytes (command line): that fault applies to TCP"), r.err);
}

BOOST_AUTO_TEST_CASE(timing_faults_that_cannot_apply_are_refused_with_the_key) {
    const Run both = run({"--close-after=1s", "--reset-after=2s"});
    BOOST_TEST(is_config_error(both), both.err);
    BOOST_TEST(contains(both.err, "close_after and reset_after: set one of them"), both.err);
    const Run jitter = run({"--delay=100ms", "--delay-jitter=150ms"});
    BOOST_TEST(is_config_error(jitter), jitter.err);
    BOOST_TEST(contains(jitter.err, "delay_jitter = '150ms': more than delay"), jitter.err);
    for (const char* tcp_only : {"--bandwidth=1MiB", "--close-after=1s", "--accept-delay=1s"}) {
        const Run r = run({"--udp=on", tcp_only});
        BOOST_TEST(is_config_error(r), r.err);
        BOOST_TEST(contains(r.err, "that fault applies to TCP connections only"), r.err);
    }
    const Run negative = run({"--delay=-1s"});
    BOOST_TEST(is_config_error(negative), negative.err);
    BOOST_TEST(contains(negative.err, "delay = '-1s'"), negative.err);
    const Run size = run({"--bandwidth=fast"});
    BOOST_TEST(is_config_error(size), size.err);
    BOOST_TEST(contains(size.err, "bandwidth = 'fast'"), size.err);
    BOOST_TEST(run({"--udp=on", "--delay=50ms", "--fault-probability=0.1", "--check-config"}).status == 0);
}

BOOST_AUTO_TEST_SUITE_END()
