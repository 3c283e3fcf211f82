// SPDX-License-Identifier: BSL-1.0
// Internal to the config loader: turns one setting's text into a value, or throws BadValue
// saying what the text must be (the caller adds the key and where the text came from); and
// shows an operator's text back in a message safely. Each kind of value also comes as a
// Parser, the form the key table (config_keys.cpp) takes it in.
#pragma once

#include "echomux/util/name_table.hpp"
#include "echomux/util/printable.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace echomux {

struct BadValue : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Decimal digits only (no sign, blank or 0x), within [min, max]; `what` names it in the message.
unsigned long long parse_whole(const std::string& text, unsigned long long min, unsigned long long max,
                               const char* what);
// Byte counts accept B, KB/MB/GB (powers of 1000: "10MB" is 10,000,000) and K/KiB, M/MiB,
// G/GiB (powers of 1024): "256KiB", "1M".
std::size_t parse_bytes(const std::string& text, unsigned long long min, unsigned long long max);
// Durations are plain decimal seconds, optionally with a unit (ms, s, m, h, d): "300", "1.5",
// "250ms", "5m", "1h".
// 0 is allowed (the key's help says what it means); anything else must be at least 1 ms.
double parse_seconds(const std::string& text, unsigned long long max);
// An IPv4 or IPv6 address; brackets around an IPv6 one are dropped.
std::string parse_address(const std::string& text);
// A greeting or prefix (reply_text.hpp): at most 1 KiB, well-formed ${NAME} and %p/%l/%%.
std::string parse_reply_text(const std::string& text);

// 'text' for a message: printable, and cut short when long ("'aaa...' (10000 bytes)").
std::string quoted(const std::string& text);

// One kind of value: how its text is read and checked, and how --help shows it.
template <class T>
struct Parser {
    std::function<T(const std::string&)> parse;
    const char* placeholder;  // the value in --help: N, SIZE, DURATION, ADDRESS, TEXT, NAME
    std::string choices;      // a named choice's names ("on, off"); empty for the others
};

Parser<unsigned long long> whole(unsigned long long min, unsigned long long max, const char* what);
Parser<std::size_t> bytes(unsigned long long min, unsigned long long max);
Parser<double> seconds(unsigned long long max);           // 0 allowed: the key says what it means
Parser<double> positive_seconds(unsigned long long max);  // at least 1 ms
Parser<std::string> address();
Parser<std::string> reply_text();
Parser<std::string> file_path();  // a path as written; printable, no line breaks
// ALPN protocol names, comma-separated ("h2,http/1.1"): each 1-255 printable bytes, no blanks.
Parser<std::string> alpn_list();
// A share from 0 to 1, as a decimal: "0.1", "1".
Parser<double> probability();

// One of a table's names.
template <class T>
Parser<T> one_of(NameTable<T> names) {
    return {[names](const std::string& text) {
                if (auto v = names.parse(text)) return *v;
                throw BadValue("must be one of: " + names.joined());
            },
            "NAME", names.joined()};
}

// on / off, as udp and access_log are written.
NameTable<bool> on_off_names();

}  // namespace echomux
