#include "echomux/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace echomux::log {
namespace {
std::atomic<int> current_level{static_cast<int>(Level::info)};

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
}  // namespace

void set_level(Level level) { current_level.store(static_cast<int>(level)); }

bool enabled(Level level) {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

const char* level_name(Level level) {
    switch (level) {
        case Level::error: return "error";
        case Level::warn: return "warn";
        case Level::info: return "info";
        case Level::debug: return "debug";
    }
    return "?";
}

std::optional<Level> parse_level(std::string_view name) {
    for (auto level : {Level::error, Level::warn, Level::info, Level::debug})
        if (name == level_name(level)) return level;
    return std::nullopt;
}

void write(Level level, const std::string& message) {
    std::string text = timestamp() + " echomux " + level_name(level) + ": " + message + "\n";
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
