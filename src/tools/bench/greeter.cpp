// SPDX-License-Identifier: BSL-1.0
#include "greeter.hpp"

#include "tools/greeting.hpp"
#include "tools/reach_host.hpp"

#include "echomux/util/printable.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <stdexcept>

namespace echomux::bench {

Greeter::Greeter(const Workload& w)
    : w_(w), addresses_(tools::resolve_host(w.host, static_cast<std::uint16_t>(w.port), SOCK_STREAM)),
      lines_(w.greeting_lines ? *w.greeting_lines : -1),
      tls_(w.tls.enabled ? std::make_unique<tools::TlsContext>(w.tls) : nullptr) {}

Greeter::Opened Greeter::open() {
    Fd fd = tools::connect_in_turn(addresses_, at_, w_.host, static_cast<std::uint16_t>(w_.port));
    const int on = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // A server that never finishes the handshake must not hold the run forever.
    const timeval tv{static_cast<time_t>(w_.stall_timeout),
                     static_cast<suseconds_t>((w_.stall_timeout - static_cast<time_t>(w_.stall_timeout)) * 1e6)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    Opened opened{tools::open_stream(std::move(fd), tls_.get(), w_.host), lines_};
    if (const auto* tls = dynamic_cast<const tools::TlsStream*>(opened.stream.get()); tls && tls_description_.empty())
        tls_description_ = tls->description();
    if (lines_ < 0) {
        tools::ProbeAnswer answer = tools::probe(*opened.stream, w_.stall_timeout);
        const std::string expected = w_.mode == Mode::prefix ? w_.prefix : "";
        if (answer.prefix != expected)
            throw std::runtime_error("the server put '" + printable(answer.prefix) + "' before the probe's echo, not '" +
                                     printable(expected) + "'" +
                                     (w_.mode == Mode::prefix ? " (--prefix)" : ": is it in prefix mode?"));
        probed_ = std::move(answer.greeting);
        lines_ = static_cast<int>(probed_.size());
        opened.greeting_lines = 0;  // the probe took it
    }
    const int stream_fd = opened.stream->fd();
    ::fcntl(stream_fd, F_SETFL, ::fcntl(stream_fd, F_GETFL) | O_NONBLOCK);
    return opened;
}

}  // namespace echomux::bench
