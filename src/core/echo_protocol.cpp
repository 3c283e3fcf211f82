// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/echo_protocol.hpp"

namespace echomux {

NameTable<Mode> mode_names() {
    static constexpr Named<Mode> rows[] = {{"echo", Mode::echo}, {"upper", Mode::upper}, {"prefix", Mode::prefix}};
    return rows;
}

std::optional<Mode> parse_mode(std::string_view name) { return mode_names().parse(name); }

const char* mode_name(Mode mode) { return mode_names().name(mode); }

}  // namespace echomux
