// SPDX-License-Identifier: BSL-1.0
// sd_notify(3) written out rather than linked from libsystemd: the protocol is one datagram
// to one AF_UNIX address (below), while libsystemd would be a run-time dependency for every
// user and cannot be linked statically (Debian ships no libsystemd.a) into the static
// container build. The protocol is stable and documented (sd_notify(3), "Notes").
#include "echomux/server/service_notify.hpp"

#include "echomux/util/fd.hpp"
#include "echomux/util/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace echomux {

ServiceNotifier::ServiceNotifier() {
    const char* name = std::getenv("NOTIFY_SOCKET");
    if (!name) return;
    const std::size_t length = std::strlen(name);
    auto* un = reinterpret_cast<sockaddr_un*>(&address_.storage);
    if ((name[0] != '/' && name[0] != '@') || length < 2 || length >= sizeof un->sun_path) {
        log::debug("NOTIFY_SOCKET=", name, " is not a socket path or @name: not notifying");
        return;
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, name, length);
    if (name[0] == '@') un->sun_path[0] = '\0';  // the abstract namespace: no trailing NUL either
    address_.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (name[0] == '/' ? 1 : 0));
}

void ServiceNotifier::notify(const std::string& message) {
    if (address_.length == 0) return;
    // A socket per message, as sd_notify does: a handful of messages in a process's life.
    const Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd && ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL, address_.get(), address_.length) ==
                  static_cast<ssize_t>(message.size()))
        return;
    if (error_logged_) return;
    error_logged_ = true;
    log::debug("cannot notify the service manager (NOTIFY_SOCKET): ", std::strerror(errno));
}

}  // namespace echomux
