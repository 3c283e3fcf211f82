// SPDX-License-Identifier: BSL-1.0
// Directories under /tmp for a test's files (conf files, reports), removed with everything
// in them: a TempDir when it goes, temp_dir_until_exit()'s when the test program ends.
#pragma once

#include <string>

namespace echomux::test {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "echomux-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// For helpers that hand out a path (write_conf): the directory stays until exit.
std::string temp_dir_until_exit(const std::string& prefix);

}  // namespace echomux::test
