// SPDX-License-Identifier: BSL-1.0
// A server's cost from its own /metrics page (Prometheus text): how echomux-bench measures
// a server it cannot see in /proc, such as one in another pod behind a Kubernetes Service.
#pragma once

#include "metrics_text.hpp"

#include <string>

namespace echomux::bench {

class MetricsScrape {
public:
    // "http://HOST:PORT/PATH" (HOST a name, an IPv4 address or [IPv6]); throws
    // std::runtime_error naming --metrics-url when it is not one.
    explicit MetricsScrape(const std::string& url);

    // The page, fetched now within `timeout_s` seconds; throws std::runtime_error saying
    // what went wrong (unreachable, not 200).
    std::string page(double timeout_s = 2) const;
    // The sum of the series of `name` whose labels include `subset` (every listener's, when
    // echomux labels them listener="NAME"), fetched now; throws as page() does, and when
    // no series matches.
    double sample(const std::string& name, const Labels& subset = {}, double timeout_s = 2) const;

private:
    std::string url_, host_, target_;
    unsigned short port_ = 0;
};

}  // namespace echomux::bench
