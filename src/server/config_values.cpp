// SPDX-License-Identifier: BSL-1.0
#include "config_values.hpp"

#include "echomux/core/reply_text.hpp"
#include "echomux/util/socket_address.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <utility>

namespace echomux {

unsigned long long parse_whole(const std::string& text, unsigned long long min, unsigned long long max,
                               const char* what) {
    std::ostringstream range;
    range << "must be " << what << " from " << min << " to " << max;
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) throw BadValue(range.str());
    // 010 is 8 to some readers and 10 to others (addresses refuse it the same way).
    if (text.size() > 1 && text[0] == '0') throw BadValue(range.str() + ", without leading zeros");
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
    if (errno == ERANGE || v < min || v > max) throw BadValue(range.str());
    return v;
}

std::size_t parse_bytes(const std::string& text, unsigned long long min, unsigned long long max) {
    std::ostringstream range;
    range << "must be a byte count from " << min << " to " << max
          << " (suffixes B; KB, MB, GB: powers of 1000; K or KiB, M or MiB, G or GiB: powers of 1024)";
    const auto digits = text.find_first_not_of("0123456789");
    const std::string number = text.substr(0, digits);
    const std::string suffix = digits == std::string::npos ? "" : text.substr(digits);
    // K, M, G alone stay binary, as they always were here (and in nginx); KB is SI, as in IEC 80000-13.
    static const std::pair<const char*, unsigned long long> units[] = {
        {"", 1},           {"B", 1},
        {"KB", 1000},      {"MB", 1000 * 1000},   {"GB", 1000 * 1000 * 1000},
        {"K", 1ull << 10}, {"KiB", 1ull << 10},   {"M", 1ull << 20},
        {"MiB", 1ull << 20}, {"G", 1ull << 30}, {"GiB", 1ull << 30},
    };
    const auto found = std::find_if(std::begin(units), std::end(units), [&](const auto& u) { return suffix == u.first; });
    if (found == std::end(units)) throw BadValue(range.str());
    const unsigned long long unit = found->second;
    if (number.size() > 1 && number[0] == '0') throw BadValue(range.str() + ", without leading zeros");
    errno = 0;
    const unsigned long long v = std::strtoull(number.c_str(), nullptr, 10);
    if (number.empty() || errno == ERANGE || v > max / unit || v * unit < min) throw BadValue(range.str());
    return static_cast<std::size_t>(v * unit);
}

double parse_seconds(const std::string& text, unsigned long long max) {
    std::ostringstream range;
    range << "must be 0 or a duration from 1ms to " << max
          << " seconds (\"300\", \"1.5s\", \"250ms\", \"5m\", \"1h\", \"1d\")";
    // Checked by hand: strtod alone would also take hex, exponents, inf, nan, signs and blanks.
    const auto number_end = text.find_first_not_of("0123456789.");
    const std::string number = text.substr(0, number_end);
    const std::string unit = number_end == std::string::npos ? "" : text.substr(number_end);
    if (number.find_first_of("0123456789") == std::string::npos || std::count(number.begin(), number.end(), '.') > 1)
        throw BadValue(range.str());
    double v = std::strtod(number.c_str(), nullptr);  // may underflow to 0: nonzero below decides
    if (unit == "ms") v /= 1000;
    else if (unit == "m") v *= 60;
    else if (unit == "h") v *= 3600;
    else if (unit == "d") v *= 86400;
    else if (!unit.empty() && unit != "s") throw BadValue(range.str());
    // The loops count whole milliseconds: a shorter non-zero time would round to 0, which
    // means never (idle) or at once (drain) instead of what was asked.
    const bool nonzero = number.find_first_of("123456789") != std::string::npos;
    if ((nonzero && !(v >= 0.001)) || v > max) throw BadValue(range.str());
    return v;
}

std::string parse_address(const std::string& v) {
    if (!parse_socket_address(v, 0))
        throw BadValue("must be an IPv4 or IPv6 address, such as 0.0.0.0, 127.0.0.1, :: or ::1");
    return v.size() > 2 && v.front() == '[' ? v.substr(1, v.size() - 2) : v;
}

std::string parse_reply_text(const std::string& v) {
    if (v.size() > 1024) throw BadValue("must be at most 1024 bytes");
    if (const auto problem = check_reply_text(v)) throw BadValue(*problem);
    return v;
}

Parser<unsigned long long> whole(unsigned long long min, unsigned long long max, const char* what) {
    return {[=](const std::string& v) { return parse_whole(v, min, max, what); }, "N", ""};
}

Parser<std::size_t> bytes(unsigned long long min, unsigned long long max) {
    return {[=](const std::string& v) { return parse_bytes(v, min, max); }, "SIZE", ""};
}

Parser<double> seconds(unsigned long long max) {
    return {[=](const std::string& v) { return parse_seconds(v, max); }, "DURATION", ""};
}

Parser<double> positive_seconds(unsigned long long max) {
    return {[=](const std::string& v) {
                const std::string range =
                    "must be a duration from 1ms to " + std::to_string(max) + " seconds (\"5\", \"500ms\")";
                double s = 0;
                try {
                    s = parse_seconds(v, max);
                } catch (const BadValue&) {
                    throw BadValue(range);
                }
                if (s == 0) throw BadValue(range);
                return s;
            },
            "DURATION", ""};
}

Parser<std::string> address() { return {parse_address, "ADDRESS", ""}; }

Parser<std::string> reply_text() { return {parse_reply_text, "TEXT", ""}; }

Parser<std::string> file_path() {
    return {[](const std::string& text) {
                for (unsigned char c : text)
                    if (c < 0x20 || c == 0x7f) throw BadValue("must be a file's path (no control characters)");
                return text;
            },
            "PATH", ""};
}

Parser<double> probability() {
    return {[](const std::string& text) {
                const bool decimal = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos &&
                                     std::count(text.begin(), text.end(), '.') <= 1 && text.front() != '.' &&
                                     text.back() != '.';
                const double p = decimal ? std::strtod(text.c_str(), nullptr) : -1;
                if (p < 0 || p > 1) throw BadValue("must be a share from 0 to 1, e.g. 0.1");
                return p;
            },
            "SHARE", ""};
}

Parser<std::string> alpn_list() {
    return {[](const std::string& text) {
                std::string::size_type start = 0;
                while (!text.empty()) {
                    const auto end = std::min(text.find(',', start), text.size());
                    const std::string name = text.substr(start, end - start);
                    if (name.empty() || name.size() > 255)
                        throw BadValue("must be protocol names (1-255 bytes each) separated by commas, e.g. h2,http/1.1");
                    for (unsigned char c : name)
                        if (c <= 0x20 || c >= 0x7f)
                            throw BadValue("protocol names are printable ASCII without blanks, e.g. h2,http/1.1");
                    if (end == text.size()) break;
                    start = end + 1;
                }
                return text;
            },
            "LIST", ""};
}

NameTable<bool> on_off_names() {
    static constexpr Named<bool> rows[] = {{"on", true}, {"off", false}};
    return rows;
}

std::string quoted(const std::string& text) {
    constexpr std::size_t kShown = 60;
    if (text.size() <= kShown + 20) return "'" + printable(text) + "'";
    return "'" + printable(text.substr(0, kShown)) + "...' (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace echomux
