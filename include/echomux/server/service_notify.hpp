// SPDX-License-Identifier: BSL-1.0
// Telling a supervisor how the service is doing: systemd's Type=notify protocol (READY=1,
// STATUS=..., STOPPING=1 as datagrams to the socket named in $NOTIFY_SOCKET). Without
// NOTIFY_SOCKET every call does nothing.
#pragma once

#include "echomux/util/socket_address.hpp"

#include <string>

namespace echomux {

class ServiceNotifier {
public:
    // Reads NOTIFY_SOCKET once: a path, or "@name" for the abstract namespace.
    ServiceNotifier();

    // One message of newline-separated assignments, e.g. "READY=1\nSTATUS=listening on ...".
    // Never blocks and never fails the server: a lost message is logged once, at debug.
    void notify(const std::string& message);

    void ready(const std::string& status) { notify("READY=1\nSTATUS=" + status); }
    void status(const std::string& status) { notify("STATUS=" + status); }
    void stopping(const std::string& status) { notify("STOPPING=1\nSTATUS=" + status); }

private:
    SocketAddress address_;  // length 0: no supervisor listens
    bool error_logged_ = false;
};

}  // namespace echomux
