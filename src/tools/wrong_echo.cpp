// SPDX-License-Identifier: BSL-1.0
#include "tools/wrong_echo.hpp"

#include "echomux/util/printable.hpp"

#include <algorithm>

namespace echomux::tools {
namespace {

std::string excerpt(std::string_view bytes, std::size_t from) {
    from = std::min(from, bytes.size());
    const std::string_view shown = bytes.substr(from, kShownBytes);
    return "'" + printable(std::string(shown)) + "'" + (from + shown.size() < bytes.size() ? "..." : "");
}

}  // namespace

std::size_t first_difference(std::string_view expected, std::string_view received) {
    const auto [e, r] = std::mismatch(expected.begin(), expected.end(), received.begin(), received.end());
    if (e == expected.end() && r == received.end()) return std::string_view::npos;
    return static_cast<std::size_t>(e - expected.begin());
}

std::string expected_and_received(std::string_view expected, std::string_view received, std::size_t from) {
    return "expected " + excerpt(expected, from) + ", received " + excerpt(received, from);
}

std::string describe_wrong_echo(std::string_view expected, std::string_view received) {
    const std::size_t at = std::min(first_difference(expected, received), std::min(expected.size(), received.size()));
    std::string text = "first difference at byte " + std::to_string(at) + ": ";
    const std::size_t from = at < kShownBytes ? 0 : at;
    if (from > 0) text += "from there, ";
    text += expected_and_received(expected, received, from);
    if (expected.size() != received.size())
        text += " (" + std::to_string(expected.size()) + " bytes expected, " + std::to_string(received.size()) +
                " received)";
    return text;
}

}  // namespace echomux::tools
