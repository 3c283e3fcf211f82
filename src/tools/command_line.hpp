// SPDX-License-Identifier: BSL-1.0
// The command-line conventions echomux-client and echomux-bench share with echomux: what
// --version prints, how options are listed in --help, and how wrong usage is told (exit
// status 2, one line and a hint).
#pragma once

#include <boost/program_options/options_description.hpp>

#include <string>

namespace echomux::tools {

constexpr int kUsageExitStatus = 2;

// "echomux-client 0.1.0 (revision 4d1da88)\n": the server's version and revision.
std::string version_line(const std::string& program);

// "CAPTION:" and one entry per option as Boost.Program_options prints them ("  -p [ --port ]
// arg (=7007)  server port"), but always with two spaces or a line break before the
// description: help2man, which makes the man pages from --help, needs that to tell an
// option from its description (Boost leaves one space after the widest option).
std::string options_help(const std::string& caption, const boost::program_options::options_description& options);

// Prints "PROGRAM: MESSAGE" and "Try 'COMMAND --help'." to stderr (MESSAGE escaped, since
// it may quote an argument); returns kUsageExitStatus. `command` is the program, or the
// program and subcommand whose help would have helped.
int usage_error(const std::string& program, const std::string& message, const std::string& command);

}  // namespace echomux::tools
