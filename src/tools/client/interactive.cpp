// SPDX-License-Identifier: BSL-1.0
// Line by line: each line from stdin is sent and its echo printed. Works with a pipe too.
#include "client.hpp"

#include "tools/wrong_echo.hpp"

#include <cerrno>
#include <iostream>

namespace echomux::client {

int interactive(const Options& o) {
    Session session = open_session(o, true);
    tools::Stream& stream = *session.stream;
    if (!session.tls.empty()) std::cerr << "echomux-client: " << session.tls << "\n";  // stdout is the echo
    for (const auto& line : session.greeting) std::cout << line << "\n";
    std::cout << std::flush;
    std::string line;
    while (std::getline(std::cin, line)) {
        const std::string sent = line + "\n";
        send_all(o, stream, sent);
        const std::string expected = session.form.reply_to(sent);
        std::string reply;
        while (reply.size() < expected.size()) {
            char buf[4096];
            const ssize_t n = stream.receive(buf, std::min(sizeof buf, expected.size() - reply.size()));
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) throw ClientError("server closed the connection");
            if (n < 0) throw io_error(o, stream, "waiting for the reply");
            reply.append(buf, static_cast<std::size_t>(n));
        }
        if (reply != expected) throw ClientError("wrong echo: " + tools::describe_wrong_echo(expected, reply));
        std::cout << reply << std::flush;
    }
    stream.shutdown_write();  // done: the server closes once it has echoed everything
    char byte;
    if (stream.receive(&byte, 1) != 0) throw ClientError("server sent more than was echoed");
    return 0;
}

}  // namespace echomux::client
