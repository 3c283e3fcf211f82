// SPDX-License-Identifier: BSL-1.0
#include "cli.hpp"

#include "tools/command_line.hpp"
#include "tools/writable_path.hpp"

#include <unistd.h>

#include <climits>
#include <iostream>
#include <sstream>

namespace echomux::bench {

bool parse(const po::options_description& desc, const std::vector<std::string>& args, po::variables_map& vm,
           const char* synopsis, const char* what) {
    // No positional arguments: a stray word is a mistake, not something to ignore.
    po::store(po::command_line_parser(args).options(desc).positional({}).run(), vm);
    if (vm.count("help")) {
        std::cout << "Usage: " << synopsis << "\n" << what << "\n\n" << tools::options_help("Options", desc);
        return false;
    }
    po::notify(vm);
    return true;
}

std::vector<long> number_list(const std::string& text, const std::string& option) {
    std::vector<long> numbers;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos)
            throw po::error(option + " takes numbers separated by commas; got '" + text + "'");
        numbers.push_back(std::stol(item));
    }
    if (numbers.empty()) throw po::error(option + " takes numbers separated by commas; got '" + text + "'");
    return numbers;
}

void check_writable(const std::string& option, const std::string& path) {
    const std::string why = tools::why_not_writable(path);
    if (!why.empty()) throw po::error(option + " " + path + ": cannot write: " + why);
}

std::vector<std::string> with_command(const std::string& command, std::vector<std::string> args) {
    args.insert(args.begin(), command);
    return args;
}

std::string sibling(const std::string& name) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return name;
    std::string path(self, static_cast<std::size_t>(n));
    return path.substr(0, path.rfind('/') + 1) + name;
}

}  // namespace echomux::bench
