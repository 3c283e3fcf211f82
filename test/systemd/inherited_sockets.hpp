// SPDX-License-Identifier: BSL-1.0
// Test helper: sockets passed to echomux as systemd passes them (descriptors 3, 4, ...,
// LISTEN_FDS and LISTEN_PID), to a child process or to this one.
#pragma once

#include "echomux/util/fd.hpp"

#include <string>
#include <vector>

namespace echomux::test {

// A listening TCP socket on 127.0.0.1 and a free port, inheritable (no close-on-exec).
Fd listening_socket(int backlog = 64);
// An unconnected UDP socket on 127.0.0.1 and a free port, inheritable.
Fd datagram_socket();
int local_port(const Fd& fd);

// argv that runs `command` with `fds` as descriptors 3, 4, ... and LISTEN_FDS/LISTEN_PID
// set for it, as systemd starts a socket-activated service (bash sets LISTEN_PID to its
// own pid, then execs: the pid stays).
std::vector<std::string> socket_activated(const std::vector<int>& fds, const std::vector<std::string>& command);

// In this process: `fds` moved to descriptors 3, 4, ... (what was there is put back at the
// end) with LISTEN_FDS and LISTEN_PID naming this process, for open_listeners().
class PassedToThisProcess {
public:
    explicit PassedToThisProcess(std::vector<Fd> fds);
    ~PassedToThisProcess();
    PassedToThisProcess(const PassedToThisProcess&) = delete;
    PassedToThisProcess& operator=(const PassedToThisProcess&) = delete;

private:
    std::vector<int> saved_;  // a copy of what was at 3 + i, or -1
};

// The socket inode a descriptor of `pid` refers to ("socket:[123]" -> "123"), "" if none.
std::string socket_inode(int pid, int fd);

}  // namespace echomux::test
