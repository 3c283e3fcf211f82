// SPDX-License-Identifier: BSL-1.0
// The service manager's end of Type=notify, for tests: a datagram socket that NOTIFY_SOCKET
// names (a path, or "@name" in the abstract namespace), and each message with its sender.
#pragma once

#include "echomux/util/fd.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>

namespace echomux::test {

using namespace std::chrono_literals;

struct Notification {
    std::string text;
    pid_t sender = -1;  // from the kernel (SCM_CREDENTIALS), as systemd checks NotifyAccess=main
};

// The service manager's end: a datagram socket at a path or, for "@name", in the abstract
// namespace, as NOTIFY_SOCKET names it.
class NotifyReceiver {
public:
    explicit NotifyReceiver(bool abstract) {
        static std::mt19937 pick(static_cast<unsigned>(::getpid()));
        if (abstract) {
            name_ = "@echomux-test-" + std::to_string(::getpid()) + "-" + std::to_string(pick());
        } else {
            char dir[] = "/tmp/echomux-notify-XXXXXX";
            BOOST_REQUIRE(::mkdtemp(dir));
            dir_ = dir;
            name_ = dir_ + "/notify";
        }
        fd_ = Fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        const int on = 1;
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name_.data(), name_.size());
        if (abstract) address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
        BOOST_REQUIRE_MESSAGE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), length) == 0,
                              std::strerror(errno));
    }
    ~NotifyReceiver() {
        if (dir_.empty()) return;
        ::unlink(name_.c_str());
        ::rmdir(dir_.c_str());
    }
    const std::string& name() const { return name_; }

    // The next message, or an empty one after `timeout`.
    Notification next(std::chrono::milliseconds timeout = 10s) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return {};
        char text[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        iovec io{text, sizeof text};
        msghdr message{};
        message.msg_iov = &io;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(fd_.get(), &message, MSG_DONTWAIT);
        if (n < 0) return {};
        Notification got{std::string(text, static_cast<std::size_t>(n))};
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                got.sender = reinterpret_cast<ucred*>(CMSG_DATA(c))->pid;
        return got;
    }

private:
    std::string dir_, name_;
    Fd fd_;
};

}  // namespace echomux::test
