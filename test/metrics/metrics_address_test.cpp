// SPDX-License-Identifier: BSL-1.0
// MetricsServer's start-up with an address it cannot use. Config rejects such an address
// first, so this builds the endpoint directly: the endpoint must not depend on that.
#include "echomux/server/metrics_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <string>

using namespace echomux;

BOOST_AUTO_TEST_SUITE(metrics_address)

// Port 0 binds anywhere: had the bad address fallen back to 0.0.0.0, this would serve.
BOOST_AUTO_TEST_CASE(an_unparsable_address_is_refused_with_its_own_error) {
    Config config;
    config.metrics_listen = "not-an-address";
    config.metrics_port = 0;
    const SharedState shared(config);
    const std::atomic<bool> draining{false}, stopping{false};
    const MetricsSource source{shared, {}, draining, stopping};
    try {
        MetricsServer server(source);
        BOOST_ERROR("served metrics on " + server.address());
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("cannot serve metrics on not-an-address:0: ") == 0u, what);
        BOOST_TEST(what.find("Invalid argument") != std::string::npos, what);
    }
}

BOOST_AUTO_TEST_SUITE_END()
