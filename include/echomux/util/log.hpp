// SPDX-License-Identifier: BSL-1.0
// Levelled, line-oriented logging to stderr, as text, logfmt or JSON (log_format). One
// write(2) per line so lines from several event-loop threads never interleave. A line is a
// message and, optionally, key=value fields (numbers stay numbers in JSON).
#pragma once

#include "echomux/util/name_table.hpp"

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace echomux::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// text:   2026-11-25T16:05:52.123Z echomux info: msg k=v k=v
// logfmt: time=2026-11-25T16:05:52.123Z level=info msg="msg" k=v k=v
// json:   {"time":"2026-11-25T16:05:52.123Z","level":"info","msg":"msg","k":"v","n":12}
enum class Format { text, logfmt, json };

// One key=value of a line: a string, or a number written bare (also in JSON).
struct Field {
    template <class Number, std::enable_if_t<std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool> &&
                                                 !std::is_same_v<Number, char>,
                                             int> = 0>
    Field(std::string key, Number n) : key(std::move(key)), value(number_text(n)), number(is_finite(n)) {}
    Field(std::string key, std::string text) : key(std::move(key)), value(std::move(text)) {}
    Field(std::string key, const char* text) : key(std::move(key)), value(text) {}

    std::string key;    // a bare word: letters, digits, _
    std::string value;  // as written in text and logfmt
    bool number = false;  // false for inf and NaN too: JSON has no such numbers

private:
    template <class Number>
    static bool is_finite(Number n) {
        if constexpr (std::is_integral_v<Number>) return true;
        else return std::isfinite(n);
    }
    template <class Number>
    static std::string number_text(Number n) {
        if constexpr (std::is_integral_v<Number>) {
            return std::to_string(n);
        } else {
            std::ostringstream out;  // 1.5, 300, as the text lines always showed them
            out << n;
            return out.str();
        }
    }
};
using Fields = std::vector<Field>;

void set_level(Level level);
bool enabled(Level level);
NameTable<Level> level_names();
std::optional<Level> parse_level(std::string_view name);
const char* level_name(Level level);

void set_format(Format format);
NameTable<Format> format_names();
std::optional<Format> parse_format(std::string_view name);
const char* format_name(Format format);

void write(Level level, std::string_view message, const Fields& fields = {});
// One line in `format` (without the newline), for write() and for tests.
std::string format_line(Format format, std::string_view time, Level level, std::string_view message,
                        const Fields& fields);

template <class... Parts>
void line(Level level, const Parts&... parts) {
    if (!enabled(level)) return;
    std::ostringstream out;
    (out << ... << parts);
    write(level, out.str());
}

template <class... P> void error(const P&... p) { line(Level::error, p...); }
template <class... P> void warn(const P&... p) { line(Level::warn, p...); }
template <class... P> void info(const P&... p) { line(Level::info, p...); }
template <class... P> void debug(const P&... p) { line(Level::debug, p...); }

// A message with fields: info_fields("access", {{"client", address}, {"received", n}}).
inline void info_fields(std::string_view message, const Fields& fields) {
    if (enabled(Level::info)) write(Level::info, message, fields);
}

}  // namespace echomux::log
