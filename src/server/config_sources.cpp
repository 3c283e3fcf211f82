// SPDX-License-Identifier: BSL-1.0
#include "config_sources.hpp"

#include "config_keys.hpp"
#include "echomux/backends/test_wedge.hpp"
#include "echomux/server/config.hpp"
#include "echomux/util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace echomux {
namespace {

// Blanks around conf file keys and values, and the CR of a CR LF line end.
std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") + 1 - b);
}

// A conf file is small: anything bigger is a wrong path (a log, a device), not settings.
constexpr std::size_t kMaxConfBytes = 1 << 20;

const char* file_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "a device";
}

// Only a regular file: a FIFO (or a device) put at the path would block open(2) or read(2)
// for good, and a reload runs on the thread that answers SIGTERM. O_NONBLOCK makes the open
// of a FIFO return at once; fstat then refuses it before any read.
std::string read_conf_text(const std::string& path) {
    const auto fail = [&](const std::string& why) { return ConfigError("file " + path + ": cannot read it: " + why); };
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) throw fail(std::strerror(errno));
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) throw fail(std::strerror(errno));
    if (S_ISDIR(status.st_mode)) throw fail(std::strerror(EISDIR));
    if (!S_ISREG(status.st_mode)) throw fail(std::string("not a regular file (") + file_kind(status.st_mode) + ")");
    std::string text;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw fail(std::strerror(errno));
        if (n == 0) return text;
        text.append(chunk, static_cast<std::size_t>(n));
        if (text.size() > kMaxConfBytes) throw fail("larger than 1 MiB");
    }
}

// A listener's name: short, and safe in a log field, a metric label and a section header.
bool valid_listener_name(const std::string& name) {
    if (name.empty() || name.size() > 32 || !std::islower(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
               c == '-';
    });
}

// `[listener NAME]`: the section it opens, or a ConfigError for any other bracketed line.
ListenerSection section_header(const std::string& content, const std::string& place,
                               const std::vector<ListenerSection>& listeners) {
    const std::string inside = trim(content.substr(1, content.size() - 2));
    const auto blank = inside.find_first_of(" \t");
    const std::string name = blank == std::string::npos ? "" : trim(inside.substr(blank));
    if (content.back() != ']' || inside.substr(0, blank) != "listener" || name.empty())
        throw ConfigError(place + ": expected a section header [listener NAME], not " + quoted(content));
    if (!valid_listener_name(name))
        throw ConfigError(place + ": listener name " + quoted(name) +
                          ": must be 1-32 of a-z, 0-9, _ and -, starting with a letter");
    if (name == "main")
        throw ConfigError(place + ": listener name 'main' is the listener the keys before any section set");
    for (const auto& other : listeners)
        if (other.name == name) throw ConfigError(place + ": listener '" + name + "' again (first at " + other.place + ")");
    return {name, place, {}};
}

}  // namespace

// `key = value` lines; `#` starts a comment. Read by hand rather than with Program_options,
// so every message has its line and Windows files (UTF-8 BOM, CR LF) just work.
void read_conf_file(const std::string& path, Settings& settings, std::vector<ListenerSection>& listeners) {
    std::string text = read_conf_text(path);
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
    std::map<std::string, int> first_line;  // of each key in the current section
    std::istringstream lines(text);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
        const std::string place = "file " + path + ":" + std::to_string(++n);
        const std::string content = trim(line.substr(0, line.find('#')));
        if (content.empty()) continue;
        if (content.front() == '[') {
            listeners.push_back(section_header(content, place, listeners));
            first_line.clear();
            continue;
        }
        const auto eq = content.find('=');
        if (eq == std::string::npos) throw ConfigError(place + ": expected key = value, not " + quoted(content));
        const std::string key = trim(content.substr(0, eq));
        const Key* k = find_key(key);
        if (!k) {
            std::string hint;
            for (const auto& other : keys())
                if (key == flag_name(other.name)) hint = std::string(" (conf file keys use _: ") + other.name + ")";
            throw ConfigError(place + ": unknown key " + quoted(key) + hint);
        }
        if (!listeners.empty() && k->scope != Scope::listener)
            throw ConfigError(place + ": " + key + " is one setting for the whole server, not per listener: set it " +
                              "before the first [listener] section (in [listener " + listeners.back().name + "])");
        if (const auto [first, inserted] = first_line.emplace(key, n); !inserted)
            throw ConfigError(place + ": key '" + key + "' is set more than once (first on line " +
                              std::to_string(first->second) + ")");
        Settings& target = listeners.empty() ? settings : listeners.back().settings;
        target[key] = {trim(content.substr(eq + 1)), place};
    }
}

// Unknown ECHOMUX_* variables are not an error (other tools set some), but a typo should
// not pass silently: each becomes a warning.
void read_environment(const char* const* envp, Settings& settings, std::vector<std::string>& warnings) {
    for (; envp && *envp; ++envp) {
        const std::string entry = *envp;
        const auto eq = entry.find('=');
        if (eq == std::string::npos || entry.rfind("ECHOMUX_", 0) != 0) continue;
        const std::string name = entry.substr(0, eq);
        bool known = name == "ECHOMUX_CONFIG" || name == kTestWedgeVariable;  // the latter warns when it acts
        for (const auto& k : keys())
            if (name == env_name(k.name)) {
                settings[k.name] = {entry.substr(eq + 1), "env " + name};
                known = true;
            }
        if (!known) warnings.push_back("ignoring environment variable " + printable(name) + ": not an echomux setting");
    }
}

}  // namespace echomux
