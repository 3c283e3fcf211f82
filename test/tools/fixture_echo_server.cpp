// SPDX-License-Identifier: BSL-1.0
// Echo servers that compare must not take at their word, for its tests:
//   fixture_echo_server sleepy PORT   one loop that sleeps 2 ms before each read: a few
//                                     hundred requests/s at ~1 % CPU, a starved server's figures
//   fixture_echo_server forking PORT  a process per connection: the parent does almost nothing
// Runs until SIGTERM (compare's way to stop a server).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int listen_on(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1024) != 0) std::exit(1);
    return fd;
}

// Echoes what one read brings; false once the peer is gone.
bool echo_once(int fd) {
    char buffer[65536];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
        const ssize_t m = ::send(fd, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
        if (m <= 0) return false;
        sent += m;
    }
    return true;
}

[[noreturn]] void sleepy(int listener) {
    std::vector<pollfd> fds = {{listener, POLLIN, 0}};
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) <= 0) continue;
        if (fds[0].revents & POLLIN) {
            const int c = ::accept(listener, nullptr, nullptr);
            if (c >= 0) fds.push_back({c, POLLIN, 0});
        }
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            // The point of this server: time passes, and no CPU is used.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            if (!echo_once(fds[i].fd)) {
                ::close(fds[i].fd);
                fds[i] = fds.back();
                fds.pop_back();
                --i;
            }
        }
    }
}

[[noreturn]] void forking(int listener) {
    for (;;) {
        // Reaped as they end, so their CPU time lands in ours (cutime) where /proc shows it.
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        pollfd p{listener, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(listener, nullptr, nullptr);
        if (c < 0) continue;
        if (::fork() == 0) {
            ::close(listener);
            while (echo_once(c)) {
            }
            ::_exit(0);
        }
        ::close(c);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    const std::string kind = argv[1];
    const int listener = listen_on(std::atoi(argv[2]));
    if (kind == "sleepy") sleepy(listener);
    if (kind == "forking") forking(listener);
    return 2;
}
