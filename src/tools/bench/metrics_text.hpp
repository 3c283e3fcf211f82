// SPDX-License-Identifier: BSL-1.0
// Prometheus text exposition, read: one sample line into name, labels and value, and the sum
// of a metric's series over a label subset. echomux labels every series (listener="main"),
// so a figure is the sum of the series that match, never one line looked up by its text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace echomux::bench {

using Labels = std::map<std::string, std::string>;

struct MetricSample {
    std::string name;
    Labels labels;
    double value = 0;
};

// One sample line (`name{a="b",c="d"} 12 [timestamp]`); nullopt for comments, blank lines
// and anything that is not a sample.
std::optional<MetricSample> parse_metric_line(std::string_view line);

// The sum of every series of `name` whose labels include all of `subset` (every series of
// the name when empty); nullopt when no series matches.
std::optional<double> sum_of_series(const std::string& page, const std::string& name, const Labels& subset = {});

}  // namespace echomux::bench
