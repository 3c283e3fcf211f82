// SPDX-License-Identifier: BSL-1.0
// What the fault tests share: a server with a plain main listener beside a faulty one, and
// a client that reads until the server ends the stream, noting how it ended.
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

namespace echomux::test {

// A conf file whose [listener faulty] has `faults`, written to `path` (made up when empty).
inline std::string fault_conf(const std::string& faults, std::string path = "") {
    static TempDir dir("echomux-faults");
    static int n = 0;
    if (path.empty()) path = dir.path() + "/echomux" + std::to_string(++n) + ".conf";
    std::ofstream(path) << "[listener faulty]\nport = 0\n" << faults;
    return path;
}

// A server whose main listener is plain and whose [listener faulty] has `faults`.
inline Server faulty_server(const std::string& faults, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--config", fault_conf(faults)});
    return Server(args);
}

// Everything the server sends until it ends the stream: its bytes, and how it ended
// (0: EOF, else the errno of the failed read; ETIMEDOUT when nothing ends it in `ms`).
struct Received {
    std::string bytes;
    int end = 0;
};
inline Received receive_until_end(int fd, int ms) {
    Received r;
    char chunk[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, ms) == 0) {
            r.end = ETIMEDOUT;
            return r;
        }
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            r.bytes.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        r.end = n == 0 ? 0 : errno;
        return r;
    }
}

inline std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
}

}  // namespace echomux::test
