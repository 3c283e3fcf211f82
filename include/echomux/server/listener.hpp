// SPDX-License-Identifier: BSL-1.0
// Listening sockets for all event loops: one per loop, on one address and port, shared
// through SO_REUSEPORT so the kernel spreads new connections across the loops; with
// udp = on, likewise one UDP socket per loop on the same address and port number. Under
// socket activation (systemd's LISTEN_FDS), the sockets the service manager passed instead.
#pragma once

#include "echomux/server/config.hpp"
#include "echomux/util/fd.hpp"

#include <string>
#include <vector>

namespace echomux {

struct Listeners {
    std::vector<Fd> sockets;  // non-blocking, one per thread
    std::string address;      // as bound, e.g. "127.0.0.1:7007" or "[::]:7007"
    std::uint16_t port = 0;   // as bound (port = 0 picks one)
    std::vector<Fd> udp_sockets;  // udp = on: non-blocking, one per thread; else empty
    std::string udp_address;      // as bound, or "off"
    bool inherited = false;       // the TCP socket came from the service manager
};

// Throws std::runtime_error with one clear line (address in use, bad permissions, ...).
//
// Socket activation, as sd_listen_fds(3): when LISTEN_PID is our pid, the LISTEN_FDS
// descriptors from 3 on are used instead of binding, mapped by type: one listening stream
// socket (required) for echo, at most one datagram socket for udp = on. Their address wins
// over listen/port (logged when they differ). Every loop serves the one inherited socket
// through its own dup(): extra SO_REUSEPORT sockets would each keep a queue of their own,
// lost at a restart, while the service manager's socket keeps its queue across restarts.
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment, so nothing
// started later mistakes them for its own. Call before any other thread starts.
Listeners open_listeners(const Config& config);

}  // namespace echomux
