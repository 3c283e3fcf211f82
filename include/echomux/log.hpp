// Levelled, line-oriented logging to stderr. One write(2) per line so lines from
// several event-loop threads never interleave.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace echomux::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level level);
bool enabled(Level level);
void write(Level level, const std::string& message);
std::optional<Level> parse_level(std::string_view name);
const char* level_name(Level level);

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

}  // namespace echomux::log
