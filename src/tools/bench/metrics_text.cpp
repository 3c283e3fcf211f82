// SPDX-License-Identifier: BSL-1.0
#include "metrics_text.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace echomux::bench {
namespace {

bool name_char(char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads NAME at `at`; "" when there is none.
std::string read_name(std::string_view s, std::size_t& at) {
    const std::size_t start = at;
    while (at < s.size() && name_char(s[at], at == start)) ++at;
    return std::string(s.substr(start, at - start));
}

// `{a="b",c="d"}` from `at` (at '{'); false when malformed. Values keep the format's
// escapes undone: \\, \" and \n.
bool read_labels(std::string_view s, std::size_t& at, Labels& labels) {
    ++at;  // '{'
    while (at < s.size() && s[at] != '}') {
        const std::string key = read_name(s, at);
        if (key.empty() || at + 1 >= s.size() || s[at] != '=' || s[at + 1] != '"') return false;
        at += 2;
        std::string value;
        for (; at < s.size() && s[at] != '"'; ++at) {
            if (s[at] != '\\') {
                value += s[at];
                continue;
            }
            if (++at == s.size()) return false;
            value += s[at] == 'n' ? '\n' : s[at];
        }
        if (at == s.size()) return false;
        ++at;  // closing quote
        labels[key] = value;
        if (at < s.size() && s[at] == ',') ++at;
    }
    if (at == s.size()) return false;
    ++at;  // '}'
    return true;
}

}  // namespace

std::optional<MetricSample> parse_metric_line(std::string_view line) {
    MetricSample sample;
    std::size_t at = 0;
    sample.name = read_name(line, at);
    if (sample.name.empty()) return std::nullopt;  // also '#' comments and blank lines
    if (at < line.size() && line[at] == '{' && !read_labels(line, at, sample.labels)) return std::nullopt;
    if (at >= line.size() || line[at] != ' ') return std::nullopt;
    const std::string rest(line.substr(at + 1));
    char* end = nullptr;
    sample.value = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || (*end != '\0' && *end != ' ')) return std::nullopt;
    return sample;
}

std::optional<double> sum_of_series(const std::string& page, const std::string& name, const Labels& subset) {
    std::istringstream lines(page);
    std::optional<double> total;
    // Bounded by the page, which the scrape caps.
    for (std::string line; std::getline(lines, line);) {
        if (line.compare(0, name.size(), name) != 0) continue;  // most lines: cheaply skipped
        const auto sample = parse_metric_line(line);
        if (!sample || sample->name != name) continue;
        bool match = true;
        for (const auto& [key, value] : subset) {
            const auto it = sample->labels.find(key);
            match = match && it != sample->labels.end() && it->second == value;
        }
        if (match) total = total.value_or(0) + sample->value;
    }
    return total;
}

}  // namespace echomux::bench
