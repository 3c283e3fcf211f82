// SPDX-License-Identifier: BSL-1.0
// Test helpers for the configuration tests: run the real binary, write conf files.
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace echomux::test {

inline Run run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), echomux_binary());
    return run_to_end(args, ProcessOptions{std::move(env), {}, {}}, 10s);
}

// A conf file in a fresh temporary directory.
inline std::string write_conf(const std::string& text) {
    const std::string path = temp_dir_until_exit("echomux-conf") + "/echomux.conf";
    std::ofstream(path) << text;
    return path;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A configuration error as main() reports every one: exit 2 and exactly one line.
inline bool is_config_error(const Run& r) {
    return r.status == 2 && r.err.rfind("echomux: configuration error: ", 0) == 0 &&
           std::count(r.err.begin(), r.err.end(), '\n') == 1 && r.err.back() == '\n';
}

}  // namespace echomux::test
