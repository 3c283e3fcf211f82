// SPDX-License-Identifier: BSL-1.0
// The figures a run yields, declared once: the CSV columns, compare's medians and error
// bars, report.md's tables and the plots all read this one table.
#pragma once

#include "load.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace echomux::bench {

struct Figure {
    const char* key;    // JSON key and CSV column: "requests_per_second"
    const char* label;  // for people: "req/s"
    std::optional<double> (*measure)(const Result&);

    // nullopt when the run did not measure it (server CPU of an unknown PID, latency with
    // no completed request) or when the run is invalid: an invalid run has no figures.
    std::optional<double> operator()(const Result& r) const {
        return r.valid() ? measure(r) : std::nullopt;
    }
};

const std::vector<Figure>& figures();
const Figure& figure(std::string_view key);  // one of figures(); throws std::logic_error if unknown

// Median, min and max of a figure over the runs that have it (repeats of one cell).
struct Spread {
    double median = 0, min = 0, max = 0;
    int runs = 0;  // how many runs had the figure
};
std::optional<Spread> spread(const Figure& f, const std::vector<Result>& runs);

}  // namespace echomux::bench
