// SPDX-License-Identifier: BSL-1.0
// Line by line: each line from stdin is sent and its echo printed. Works with a pipe too.
#include "client.hpp"

#include "tools/wrong_echo.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace echomux::client {

int interactive(const Options& o) {
    Fd fd = connect_to(o, true);
    std::string line;
    while (std::getline(std::cin, line)) {
        const std::string sent = line + "\n";
        if (::send(fd.get(), sent.data(), sent.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(sent.size()))
            throw io_error(o, "sending");
        std::string reply;
        while (reply.size() < sent.size()) {
            char buf[4096];
            const ssize_t n = ::recv(fd.get(), buf, std::min(sizeof buf, sent.size() - reply.size()), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) throw ClientError("server closed the connection");
            if (n < 0) throw io_error(o, "waiting for the reply");
            reply.append(buf, static_cast<std::size_t>(n));
        }
        const std::string expected = expected_reply(o, sent);
        if (reply != expected) throw ClientError("wrong echo: " + tools::describe_wrong_echo(expected, reply));
        std::cout << reply << std::flush;
    }
    ::shutdown(fd.get(), SHUT_WR);  // done: the server closes once it has echoed everything
    char byte;
    if (::recv(fd.get(), &byte, 1, 0) != 0) throw ClientError("server sent more than was echoed");
    return 0;
}

}  // namespace echomux::client
