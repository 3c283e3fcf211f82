// SPDX-License-Identifier: BSL-1.0
// How the open file limit is shared out, at its exact boundaries; the limit is passed in,
// so the process's own rlimit is never touched.
#include "echomux/server/descriptor_budget.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <stdexcept>

using echomux::Config;
using echomux::DescriptorBudget;

namespace {

Config with(unsigned threads, bool udp, std::uint16_t metrics_port, std::size_t max_connections) {
    Config config;
    config.threads = threads;
    config.udp = udp;
    config.metrics_port = metrics_port;
    config.metrics_max_connections = 16;
    config.max_connections = max_connections;
    return config;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_reserve_is_16_plus_8_per_loop_or_9_with_udp) {
    BOOST_TEST(DescriptorBudget(with(1, false, 0, 100), 1024).reserve() == 24u);
    BOOST_TEST(DescriptorBudget(with(4, false, 0, 100), 1024).reserve() == 48u);
    BOOST_TEST(DescriptorBudget(with(4, true, 0, 100), 1024).reserve() == 52u);
}

BOOST_AUTO_TEST_CASE(metrics_sessions_count_only_with_the_endpoint_on) {
    BOOST_TEST(DescriptorBudget(with(1, false, 0, 100), 1024).metrics() == 0u);
    BOOST_TEST(DescriptorBudget(with(1, false, 9100, 100), 1024).metrics() == 16u);
}

// 2 threads + metrics: reserve 32, metrics 16; max_connections 1000 needs 1048.
BOOST_AUTO_TEST_CASE(max_connections_is_kept_when_it_fits_exactly_and_lowered_one_below) {
    const Config config = with(2, false, 9100, 1000);
    BOOST_TEST(DescriptorBudget(config, 1048).fitted().max_connections == 1000u);
    BOOST_TEST(DescriptorBudget(config, 1047).fitted().max_connections == 999u);
    BOOST_TEST(DescriptorBudget(config, 49).fitted().max_connections == 1u);
}

BOOST_AUTO_TEST_CASE(a_limit_with_no_room_for_one_connection_is_refused) {
    BOOST_CHECK_THROW(DescriptorBudget(with(2, false, 9100, 1000), 48).fitted(), std::runtime_error);
    BOOST_CHECK_THROW(DescriptorBudget(with(2, false, 9100, 1000), 0).fitted(), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_echo_budget_is_the_limit_less_metrics_and_reserve) {
    const Config config = with(2, false, 9100, 1000);
    BOOST_TEST(DescriptorBudget(config, 1048).echo_connections() == 1000u);
    BOOST_TEST(DescriptorBudget(config, 49).echo_connections() == 1u);
    BOOST_TEST(DescriptorBudget(config, 48).echo_connections() == 0u);
    BOOST_TEST(DescriptorBudget(config, 10).echo_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(no_limit_keeps_max_connections_and_an_unbounded_echo_budget) {
    const Config config = with(2, true, 9100, 1000000);
    BOOST_TEST(DescriptorBudget(config, std::nullopt).fitted().max_connections == 1000000u);
    BOOST_TEST(DescriptorBudget(config, std::nullopt).echo_connections() == SIZE_MAX);
}
