// SPDX-License-Identifier: BSL-1.0
// Whether a file the tools will write at the end of their work can be written at all, asked
// before the work starts: a run of minutes must not end in "cannot write".
#pragma once

#include <string>

namespace echomux::tools {

// Empty when `path` can be created or overwritten; otherwise why not ("No such file or
// directory", "is a directory", "Permission denied"). Creates nothing.
std::string why_not_writable(const std::string& path);

// Creates `dir` and its missing parents (as mkdir -p); empty on success, else why not.
std::string make_directories(const std::string& dir);

}  // namespace echomux::tools
