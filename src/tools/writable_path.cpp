// SPDX-License-Identifier: BSL-1.0
#include "tools/writable_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace echomux::tools {

std::string why_not_writable(const std::string& path) {
    if (path.empty()) return "no file name";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return "is a directory";
        return ::access(path.c_str(), W_OK) == 0 ? "" : std::strerror(errno);
    }
    if (errno != ENOENT) return std::strerror(errno);
    // A new file: its directory must exist and take new entries.
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0) return std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
    return ::access(dir.c_str(), W_OK | X_OK) == 0 ? "" : std::strerror(errno);
}

std::string make_directories(const std::string& dir) {
    if (dir.empty()) return "an empty path names no directory to make";
    // Each prefix in turn; bounded by the path's length.
    for (std::size_t at = dir.find('/', 1);; at = dir.find('/', at + 1)) {
        const std::string part = dir.substr(0, at);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return part + ": " + std::strerror(errno);
        if (at == std::string::npos) break;
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return dir + ": not a directory";
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return dir + ": " + std::strerror(errno);
    return "";
}

}  // namespace echomux::tools
