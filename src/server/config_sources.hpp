// SPDX-License-Identifier: BSL-1.0
// Internal to the config loader: each key's text as the conf file and the ECHOMUX_*
// environment set it, with where it came from (for --print-config and for messages).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace echomux {

struct Setting {
    std::string value;
    std::string source = "default";  // "file PATH:LINE", "env NAME", "command line", "default..."
};
using Settings = std::map<std::string, Setting>;

// A `[listener NAME]` section of a conf file: the keys it sets, each with its line.
struct ListenerSection {
    std::string name;
    std::string place;  // "file PATH:LINE" of its header
    Settings settings;
};

// `key = value` lines; `#` starts a comment. Keys before the first `[listener NAME]` line
// are the main listener's and the whole server's; those after it, that listener's (only
// keys a listener may set). Throws ConfigError naming the file and line.
void read_conf_file(const std::string& path, Settings& settings, std::vector<ListenerSection>& listeners);
// ECHOMUX_<KEY> variables; an unknown ECHOMUX_* one becomes a warning.
void read_environment(const char* const* envp, Settings& settings, std::vector<std::string>& warnings);

}  // namespace echomux
