// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/echo_protocol.hpp"

namespace echomux {

std::optional<Mode> parse_mode(std::string_view name) {
    if (name == "echo") return Mode::echo;
    if (name == "upper") return Mode::upper;
    if (name == "prefix") return Mode::prefix;
    return std::nullopt;
}

const char* mode_name(Mode mode) {
    switch (mode) {
        case Mode::echo: return "echo";
        case Mode::upper: return "upper";
        case Mode::prefix: return "prefix";
    }
    return "?";
}

}  // namespace echomux
