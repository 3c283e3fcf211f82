// SPDX-License-Identifier: BSL-1.0
// HdrHistogram's interval log (.hlog, HistogramLogWriter's format 1.3, as HdrHistogram's
// tools, wrk2 forks and HdrHistogram_c read it): one line per interval with its start, length,
// max and the interval's whole histogram in HdrHistogram's V2 compressed encoding (big-endian
// header, ZigZag LEB128 counts with runs of zeros, zlib, base64). Several generators' logs
// can then be merged into one distribution, which percentiles cannot.
#pragma once

#include "histogram.hpp"

#include <string>
#include <vector>

namespace echomux::bench {

struct LoggedInterval {
    double start = 0, length = 0;  // seconds from the log's start time
    Histogram histogram;
};

// The V2 compressed encoding, base64 ("HISTFAAA..."); decode throws std::runtime_error on
// anything that is not one (or that needs other significant figures or bounds).
std::string encode_histogram(const Histogram& h);
Histogram decode_histogram(const std::string& base64);

// The whole log: header comments (start time, seconds since 1970), the column line, then
// one line per interval; Interval_Max in milliseconds (the writer's default ratio for ns).
std::string hlog(const std::vector<LoggedInterval>& intervals, double start_time);
// The intervals of a log (comments and the column line skipped); throws std::runtime_error.
std::vector<LoggedInterval> read_hlog(const std::string& text);

void write_hlog(const std::string& path, const std::vector<LoggedInterval>& intervals, double start_time);

}  // namespace echomux::bench
