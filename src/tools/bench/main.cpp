// SPDX-License-Identifier: BSL-1.0
// echomux-bench: load generator (`run`) and backend comparison (`compare`).
#include "cli.hpp"

#include "tools/command_line.hpp"

#include <iostream>
#include <sstream>

using namespace echomux::bench;

namespace {

const std::string kProgram = "echomux-bench";

// Both commands' options, so the man page made from it lists them all.
std::string overall_help() {
    std::ostringstream out;
    out << "Usage: " << kRunSynopsis << "\n  or:  " << kCompareSynopsis << "\n  or:  " << kProgram
        << " --help|--version\n"
        << "Load generator and benchmark for echo servers. COMMAND --help tells one command.\n"
           "Exit status: 0 ok, 1 a wrong or missing echo, an unreachable or failed server, a run that\n"
           "measured nothing valid, 2 bad usage.\n\n"
           "Commands:\n"
           "  run       load one echo server, verify every byte, report throughput, latency and CPU\n"
           "  compare   every echomux backend and a reference server side by side, into a report\n\n"
        << run_options_help() << "\n"
        << compare_options_help();
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return echomux::tools::usage_error(kProgram, "no command given", kProgram);
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "--help" || command == "-h") {
        std::cout << overall_help();
        return 0;
    }
    if (command == "--version") {
        std::cout << echomux::tools::version_line(kProgram);
        return 0;
    }
    if (command != "run" && command != "compare") {
        const std::string why = command.rfind("-", 0) == 0 ? "the command comes first: run or compare"
                                                           : "unknown command '" + command + "'";
        return echomux::tools::usage_error(kProgram, why, kProgram);
    }
    try {
        return command == "run" ? run_command(args) : compare_command(args);
    } catch (const po::error& e) {
        return echomux::tools::usage_error(kProgram, e.what(), kProgram + " " + command);
    } catch (const std::exception& e) {
        std::cerr << "echomux-bench: " << e.what() << "\n";
        return 1;
    }
}
