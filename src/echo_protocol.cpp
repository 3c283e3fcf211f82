#include "echomux/echo_protocol.hpp"

namespace echomux {

std::optional<Mode> parse_mode(std::string_view name) {
    if (name == "echo") return Mode::echo;
    if (name == "upper") return Mode::upper;
    return std::nullopt;
}

const char* mode_name(Mode mode) { return mode == Mode::upper ? "upper" : "echo"; }

}  // namespace echomux
