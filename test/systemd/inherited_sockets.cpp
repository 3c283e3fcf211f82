#include "inherited_sockets.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace echomux::test {
namespace {

Fd bound_socket(int type) {
    Fd fd(::socket(AF_INET, type, 0));  // no SOCK_CLOEXEC: the child inherits it
    BOOST_REQUIRE(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE_MESSAGE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, std::strerror(errno));
    return fd;
}

}  // namespace

Fd listening_socket(int backlog) {
    Fd fd = bound_socket(SOCK_STREAM);
    BOOST_REQUIRE(::listen(fd.get(), backlog) == 0);
    return fd;
}

Fd datagram_socket() { return bound_socket(SOCK_DGRAM); }

int local_port(const Fd& fd) {
    sockaddr_in a{};
    socklen_t length = sizeof a;
    BOOST_REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &length) == 0);
    return ntohs(a.sin_port);
}

std::vector<std::string> socket_activated(const std::vector<int>& fds, const std::vector<std::string>& command) {
    // Each socket is first moved above the target range (to 100 + i), so that putting one
    // at 3 + i never overwrites another still waiting to move.
    std::string script;
    for (std::size_t i = 0; i < fds.size(); ++i)
        script += "exec " + std::to_string(100 + i) + "<&" + std::to_string(fds[i]) + "; ";
    for (std::size_t i = 0; i < fds.size(); ++i)
        script += "exec " + std::to_string(3 + i) + "<&" + std::to_string(100 + i) + " " + std::to_string(100 + i) +
                  "<&-; ";
    script += "LISTEN_FDS=" + std::to_string(fds.size()) + " LISTEN_PID=$$ exec \"$0\" \"$@\"";
    std::vector<std::string> argv = {"/bin/bash", "-c", script};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
}

PassedToThisProcess::PassedToThisProcess(std::vector<Fd> fds) {
    // Out of the way first: a passed socket may itself sit at 3 or 4.
    std::vector<Fd> high;
    for (const Fd& fd : fds) high.emplace_back(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 200));
    const std::size_t count = fds.size();
    fds.clear();
    for (std::size_t i = 0; i < count; ++i) {
        const int target = 3 + static_cast<int>(i);
        saved_.push_back(::fcntl(target, F_DUPFD_CLOEXEC, 100));  // -1 (EBADF) when nothing is there
        BOOST_REQUIRE(::dup2(high[i].get(), target) == target);
    }
    ::setenv("LISTEN_FDS", std::to_string(count).c_str(), 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
}

PassedToThisProcess::~PassedToThisProcess() {
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
    for (std::size_t i = 0; i < saved_.size(); ++i) {
        const int target = 3 + static_cast<int>(i);
        if (saved_[i] < 0) {
            ::close(target);
        } else {
            ::dup2(saved_[i], target);
            ::close(saved_[i]);
        }
    }
}

std::string socket_inode(int pid, int fd) {
    char target[256];
    const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) return "";
    const std::string text(target, static_cast<std::size_t>(n));
    if (text.rfind("socket:[", 0) != 0) return "";
    return text.substr(8, text.size() - 9);
}

}  // namespace echomux::test
