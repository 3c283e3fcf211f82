// SPDX-License-Identifier: BSL-1.0
// What bytes come back: the whole RFC 862 protocol is this transformation.
// Pure, no I/O, so every backend shares it.
#pragma once

#include "echomux/util/name_table.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace echomux {

enum class Mode {
    echo,    // the bytes as they came
    upper,   // ASCII letters upper-cased
    prefix,  // the `prefix` text before each line (as istio's tcp-echo), bytes unchanged
};

NameTable<Mode> mode_names();
std::optional<Mode> parse_mode(std::string_view name);
const char* mode_name(Mode mode);

// Rewrites bytes in place: `upper` maps ASCII a-z to A-Z and leaves every other byte
// (including non-ASCII) unchanged; the other modes leave them as they are.
inline void apply_mode(Mode mode, char* bytes, std::size_t n) {
    if (mode != Mode::upper) return;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char c = static_cast<unsigned char>(bytes[i]);
        if (c >= 'a' && c <= 'z') bytes[i] = static_cast<char>(c - ('a' - 'A'));
    }
}

}  // namespace echomux
