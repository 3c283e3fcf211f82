// SPDX-License-Identifier: BSL-1.0
// echomux-bench's command line: each command's options and checks (run_command.cpp,
// compare_command.cpp), and what they share. Every check runs before any work: wrong usage
// throws po::error, which main() turns into one line and exit status 2.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace echomux::bench {

namespace po = boost::program_options;

extern const char* const kRunSynopsis;
extern const char* const kCompareSynopsis;

// The commands; each returns the exit status.
int run_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);

// Every option of each command, for the overall --help (and the man page made from it).
std::string run_options_help();
std::string compare_options_help();

// False when --help was asked for (and printed): then nothing else is checked.
bool parse(const po::options_description& desc, const std::vector<std::string>& args, po::variables_map& vm,
           const char* synopsis, const char* what);

// "0,1,3" -> {0, 1, 3}; throws po::error naming `option` on anything else.
std::vector<long> number_list(const std::string& text, const std::string& option);

// Throws po::error "OPTION PATH: cannot write: why" unless PATH can be written.
void check_writable(const std::string& option, const std::string& path);

// The command and its arguments as given: what the JSON records, so that
// `echomux-bench ARGUMENTS...` repeats the run.
std::vector<std::string> with_command(const std::string& command, std::vector<std::string> args);

// A binary next to this one (echomux, echomux-reference-server in the build directory).
std::string sibling(const std::string& name);

}  // namespace echomux::bench
