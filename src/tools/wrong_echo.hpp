// SPDX-License-Identifier: BSL-1.0
// What the tools say when an echo comes back wrong: where the bytes first differ, and the
// expected and received bytes around there, escaped, so the bug can be seen in one line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace echomux::tools {

constexpr std::size_t kShownBytes = 32;  // of each side, in a message

// The first index where the two differ, or the shorter's length when one begins the other;
// std::string_view::npos when they are equal.
std::size_t first_difference(std::string_view expected, std::string_view received);

// "expected 'abc', received 'aBc'": up to kShownBytes of each from byte `from`, escaped as
// printable() does, "..." after each that was cut.
std::string expected_and_received(std::string_view expected, std::string_view received, std::size_t from);

// "first difference at byte 1: expected 'abc', received 'aBc'", showing the first
// kShownBytes, or the kShownBytes from the difference when it lies beyond them; the sizes
// too when they differ. For two strings that differ.
std::string describe_wrong_echo(std::string_view expected, std::string_view received);

}  // namespace echomux::tools
