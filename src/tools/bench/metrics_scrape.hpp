// SPDX-License-Identifier: BSL-1.0
// A server's cost from its own /metrics page (Prometheus text): how echomux-bench measures
// a server it cannot see in /proc, such as one in another pod behind a Kubernetes Service.
#pragma once

#include <string>

namespace echomux::bench {

class MetricsScrape {
public:
    // "http://HOST:PORT/PATH" (HOST a name, an IPv4 address or [IPv6]); throws
    // std::runtime_error naming --metrics-url when it is not one.
    explicit MetricsScrape(const std::string& url);

    // The value of sample `name` (no labels) on the page, fetched now within `timeout_s`
    // seconds; throws std::runtime_error saying what went wrong (unreachable, not 200, absent).
    double sample(const std::string& name, double timeout_s = 2) const;

private:
    std::string url_, host_, target_;
    unsigned short port_ = 0;
};

}  // namespace echomux::bench
