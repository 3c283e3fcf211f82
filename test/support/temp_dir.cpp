// SPDX-License-Identifier: BSL-1.0
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace echomux::test {

TempDir::TempDir(const std::string& prefix) {
    std::string name = "/tmp/" + prefix + "-XXXXXX";
    BOOST_REQUIRE_MESSAGE(::mkdtemp(name.data()), "mkdtemp " << name);
    path_ = name;
}

TempDir::~TempDir() {
    std::error_code ignored;  // a test that failed halfway may have left anything there
    std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir_until_exit(const std::string& prefix) {
    static std::vector<std::unique_ptr<TempDir>> dirs;  // destroyed at exit
    dirs.push_back(std::make_unique<TempDir>(prefix));
    return dirs.back()->path();
}

}  // namespace echomux::test
