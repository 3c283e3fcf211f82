// SPDX-License-Identifier: BSL-1.0
#include "tools/command_line.hpp"

#include "echomux/util/printable.hpp"
#include "echomux/util/version.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace echomux::tools {

std::string version_line(const std::string& program) {
    return program + " " + version() + " (revision " + revision() + ")\n";
}

std::string options_help(const std::string& caption, const boost::program_options::options_description& options) {
    constexpr std::size_t kLine = 80, kMaxColumn = 34;
    auto left = [](const boost::program_options::option_description& o) {
        const std::string parameter = o.format_parameter();
        return o.format_name() + (parameter.empty() ? "" : " " + parameter);
    };
    std::size_t column = 0;  // where descriptions start: after the widest option that fits, and two spaces
    for (const auto& o : options.options()) column = std::max(column, std::min(left(*o).size(), kMaxColumn));
    column += 4;
    std::ostringstream out;
    out << caption << ":\n";
    for (const auto& o : options.options()) {
        std::string line = "  " + left(*o);
        if (line.size() + 2 > column) {  // too wide: the description goes under it
            out << line << "\n";
            line.clear();
        }
        std::istringstream words(o->description());
        for (std::string word; words >> word;) {
            if (line.size() < column) {
                line.resize(column, ' ');
            } else if (line.size() + 1 + word.size() > kLine) {
                out << line << "\n";
                line.assign(column, ' ');
            } else {
                line += ' ';
            }
            line += word;
        }
        out << line << "\n";
    }
    return out.str();
}

int usage_error(const std::string& program, const std::string& message, const std::string& command) {
    std::cerr << program << ": " << printable(message) << "\nTry '" << printable(command) << " --help'.\n";
    return kUsageExitStatus;
}

}  // namespace echomux::tools
