// SPDX-License-Identifier: BSL-1.0
// The select() tutorial client: two sockets, one message in three parts, each part sent
// on both sockets and each reply printed.
#include "client.hpp"

#include "tools/wrong_echo.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace echomux::client {
namespace {
std::string receive(const Options& o, tools::Stream& stream, std::size_t n) {
    std::string reply(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = stream.receive(reply.data() + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) throw ClientError("server closed the connection after " + std::to_string(got) + " of " +
                                      std::to_string(n) + " bytes");
        if (r < 0) throw io_error(o, stream, "waiting for the reply");
        got += static_cast<std::size_t>(r);
    }
    return reply;
}
}  // namespace

int two_socket(const Options& o) {
    Session sockets[2] = {open_session(o, true), open_session(o, true)};
    for (int i = 0; i < 2; ++i) {
        if (!sockets[i].tls.empty()) std::cout << "socket " << i + 1 << " speaks " << sockets[i].tls << "\n";
        for (const auto& line : sockets[i].greeting) std::cout << "socket " << i + 1 << " greeting '" << line << "'\n";
    }
    for (const std::string part : {"This is the message. ", "It will be sent ", "in parts."}) {
        for (int i = 0; i < 2; ++i) {
            std::cout << "socket " << i + 1 << " sending '" << part << "'\n";
            send_all(o, *sockets[i].stream, part);
        }
        for (int i = 0; i < 2; ++i) {
            const std::string expected = sockets[i].form.reply_to(part);
            const std::string reply = receive(o, *sockets[i].stream, expected.size());
            std::cout << "socket " << i + 1 << " received '" << reply << "'\n";
            if (reply != expected)
                throw ClientError("wrong echo on socket " + std::to_string(i + 1) + ": " +
                                  tools::describe_wrong_echo(expected, reply));
        }
    }
    return 0;
}

}  // namespace echomux::client
