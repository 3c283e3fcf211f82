// Listening sockets for all event loops: one per loop, on one address and port, shared
// through SO_REUSEPORT so the kernel spreads new connections across the loops; with
// udp = on, likewise one UDP socket per loop on the same address and port number.
#pragma once

#include "echomux/config.hpp"
#include "echomux/fd.hpp"

#include <string>
#include <vector>

namespace echomux {

struct Listeners {
    std::vector<Fd> sockets;  // non-blocking, one per thread
    std::string address;      // as bound, e.g. "127.0.0.1:7007" or "[::]:7007"
    std::uint16_t port = 0;   // as bound (port = 0 picks one)
    std::vector<Fd> udp_sockets;  // udp = on: non-blocking, one per thread; else empty
};

// Throws std::runtime_error with one clear line (address in use, bad permissions, ...).
Listeners open_listeners(const Config& config);

}  // namespace echomux
