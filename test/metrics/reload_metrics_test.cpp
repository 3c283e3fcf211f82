// SPDX-License-Identifier: BSL-1.0
// A reload's result in /metrics, as Prometheus reports its own (prometheus_config_*): the
// count by result, whether the last one took, and when the settings in use were read.
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>

using namespace echomux::test;

namespace {
double last_success_seconds(const std::string& page) {
    std::smatch m;
    const std::regex sample("\nechomux_config_last_reload_success_timestamp_seconds ([0-9.e+]+)\n");
    return std::regex_search(page, m, sample) ? std::stod(m[1]) : -1;
}
double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

BOOST_AUTO_TEST_CASE(metrics_count_good_and_refused_reloads_and_when_the_settings_were_read) {
    const std::string conf = temp_dir_until_exit("echomux-reload-metrics") + "/echomux.conf";
    std::ofstream(conf) << "mode = echo\n";
    const double before_start = now_seconds();
    Server server = Server::with_metrics({"--config", conf});
    const std::string success = "echomux_config_reloads_total{result=\"success\"}";
    const std::string failure = "echomux_config_reloads_total{result=\"failure\"}";

    const std::string first = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(metric_sample(first, success) == 0);
    BOOST_TEST(metric_sample(first, failure) == 0);
    BOOST_TEST(metric_sample(first, "echomux_config_last_reload_successful") == 1);
    const double started = last_success_seconds(first);
    BOOST_TEST(started >= before_start - 1);  // the start counts as the settings read
    BOOST_TEST(started <= now_seconds() + 1);

    std::ofstream(conf) << "mode = upper\n";
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("reload: done", 5s));
    const std::string good = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(metric_sample(good, success) == 1);
    BOOST_TEST(metric_sample(good, failure) == 0);
    const double reloaded = last_success_seconds(good);
    BOOST_TEST(reloaded >= started);

    std::ofstream(conf) << "mode = shout\n";
    server.process().signal(SIGHUP);
    BOOST_REQUIRE(server.process().wait_for_err("the running settings stay", 5s));
    const std::string bad = http_get(server.metrics_port(), "/metrics").body;
    BOOST_TEST(metric_sample(bad, success) == 1);
    BOOST_TEST(metric_sample(bad, failure) == 1);
    BOOST_TEST(metric_sample(bad, "echomux_config_last_reload_successful") == 0);
    BOOST_TEST(last_success_seconds(bad) == reloaded);  // a refused reload read nothing new
    BOOST_TEST(server.stop() == 0);
}
