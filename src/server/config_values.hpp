// SPDX-License-Identifier: BSL-1.0
// Internal to the config loader: turns one setting's text into a value, or throws BadValue
// saying what the text must be (the caller adds the key and where the text came from); and
// shows an operator's text back in a message safely.
#pragma once

#include "echomux/util/printable.hpp"

#include <cstddef>
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
// Byte counts accept K/KiB, M/MiB, G/GiB suffixes (powers of two): "256KiB", "1M".
std::size_t parse_bytes(const std::string& text, unsigned long long min, unsigned long long max);
// Durations are plain decimal seconds, optionally with a unit: "300", "1.5", "250ms", "5m".
// 0 is allowed (the key's help says what it means); anything else must be at least 1 ms.
double parse_seconds(const std::string& text, unsigned long long max);
// An IPv4 or IPv6 address; brackets around an IPv6 one are dropped.
std::string parse_address(const std::string& text);
// A greeting or prefix (reply_text.hpp): at most 1 KiB, well-formed ${NAME} and %p/%l/%%.
std::string parse_reply_text(const std::string& text);

// 'text' for a message: printable, and cut short when long ("'aaa...' (10000 bytes)").
std::string quoted(const std::string& text);

template <class T, class Parse>
T parse_choice(const std::string& text, Parse parse, const char* choices) {
    if (auto v = parse(text)) return *v;
    throw BadValue(std::string("must be one of: ") + choices);
}

}  // namespace echomux
