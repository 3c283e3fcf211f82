// SPDX-License-Identifier: BSL-1.0
#include "echomux/util/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace echomux::log {
namespace {
std::atomic<int> current_level{static_cast<int>(Level::info)};
std::atomic<int> current_format{static_cast<int>(Format::text)};

// RFC 3339, UTC, milliseconds.
std::string timestamp() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto secs = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char text[32];
    const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
    return text;
}

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) starting at s[i], or 0 if there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    const auto tail = [&](std::size_t k) { return byte(k) >= 0x80 && byte(k) <= 0xBF; };
    const unsigned b = byte(0);
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return tail(1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
        return byte(1) >= lo && byte(1) <= hi && tail(2) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
        return byte(1) >= lo && byte(1) <= hi && tail(2) && tail(3) ? 4 : 0;
    }
    return 0;
}

void append_u00(std::string& out, unsigned byte) {
    char code[8];
    std::snprintf(code, sizeof code, "\\u%04x", byte);
    out += code;
}

// The inside of a JSON string, also used for quoted logfmt values. Valid UTF-8 passes
// through; control characters (C0, DEL, C1) are escaped so a line stays one line and a
// terminal shows them rather than obeying them. A byte that is not part of valid UTF-8 is
// written as \u00XX (its Latin-1 reading): the line stays valid JSON, and since real
// characters U+00A0..U+00FF are written as UTF-8, an escaped \u00a0..\u00ff is always a raw byte.
void append_escaped(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
            append_u00(out, c);
            ++i;
            continue;
        }
        if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {  // C1 control
            append_u00(out, static_cast<unsigned char>(s[i + 1]));
        } else if (n > 1) {
            out.append(s.substr(i, n));
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            append_u00(out, c);
        } else {
            out += static_cast<char>(c);
        }
        i += n;
    }
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    append_escaped(out, s);
    out += '"';
}

// logfmt value: bare when it is printable ASCII without blanks, '=', '"' or '\',
// otherwise quoted and escaped as a JSON string (as go-logfmt does).
void append_logfmt_value(std::string& out, std::string_view s) {
    bool bare = !s.empty();
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F || c == '=' || c == '"' || c == '\\') bare = false;
    }
    if (bare) {
        out.append(s);
    } else {
        append_json_string(out, s);
    }
}

void append_logfmt_fields(std::string& out, const Fields& fields) {
    for (const Field& f : fields) {
        out += ' ';
        out += f.key;
        out += '=';
        append_logfmt_value(out, f.value);
    }
}
}  // namespace

void set_level(Level level) { current_level.store(static_cast<int>(level)); }

bool enabled(Level level) {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

NameTable<Level> level_names() {
    static constexpr Named<Level> rows[] = {
        {"error", Level::error}, {"warn", Level::warn}, {"info", Level::info}, {"debug", Level::debug}};
    return rows;
}

const char* level_name(Level level) { return level_names().name(level); }

std::optional<Level> parse_level(std::string_view name) { return level_names().parse(name); }

void set_format(Format format) { current_format.store(static_cast<int>(format)); }

NameTable<Format> format_names() {
    static constexpr Named<Format> rows[] = {{"text", Format::text}, {"logfmt", Format::logfmt}, {"json", Format::json}};
    return rows;
}

const char* format_name(Format format) { return format_names().name(format); }

std::optional<Format> parse_format(std::string_view name) { return format_names().parse(name); }

std::string format_line(Format format, std::string_view time, Level level, std::string_view message,
                        const Fields& fields) {
    std::string out;
    switch (format) {
        case Format::text:
            out.append(time).append(" echomux ").append(level_name(level)).append(": ").append(message);
            append_logfmt_fields(out, fields);
            break;
        case Format::logfmt:
            out.append("time=").append(time).append(" level=").append(level_name(level)).append(" msg=");
            append_logfmt_value(out, message);
            append_logfmt_fields(out, fields);
            break;
        case Format::json:
            out.append("{\"time\":\"").append(time).append("\",\"level\":\"").append(level_name(level));
            out.append("\",\"msg\":");
            append_json_string(out, message);
            for (const Field& f : fields) {
                out += ',';
                append_json_string(out, f.key);
                out += ':';
                if (f.number) {
                    out += f.value;
                } else {
                    append_json_string(out, f.value);
                }
            }
            out += '}';
            break;
    }
    return out;
}

void write(Level level, std::string_view message, const Fields& fields) {
    const auto format = static_cast<Format>(current_format.load(std::memory_order_relaxed));
    const std::string text = format_line(format, timestamp(), level, message, fields) + "\n";
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {  // stderr may be a pipe: finish short writes, give up on errors
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace echomux::log
