// SPDX-License-Identifier: BSL-1.0
// The selectors tutorial client on echomux's own Selector: two non-blocking connections
// watched for read and write; each sends its messages, switches to read-only once its
// outgoing queue is empty, and closes when it has received as many bytes as it sent.
#include "client.hpp"

#include "tools/wrong_echo.hpp"

#include "echomux/backends/native/default_selector.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>

namespace echomux::client {
namespace {

using native::EVENT_READ;
using native::EVENT_WRITE;

struct ClientConnection final : native::Handler {
    ClientConnection(const Options& o, native::Selector& selector, int id)
        : options(o), selector(selector), id(id), session(open_session(o, false)) {
        if (!session.tls.empty()) std::cout << "Connection " << id << " speaks " << session.tls << "\n";
        for (const auto& line : session.greeting) std::cout << "Greeting '" << line << "' from connection " << id << "\n";
        for (const char* m : {"Message 1 from client.", "Message 2 from client."}) {
            outgoing.emplace_back(m);
            expected += session.form.reply_to(m);
        }
        selector.register_fd(session.stream->fd(), watching, this);
    }

    // TLS may have to send before it can read (or read before it can send): a readiness
    // that one direction waits on runs it, whichever it is.
    void on_events(unsigned events) override {
        const bool readable = events & EVENT_READ, writable = events & EVENT_WRITE;
        if (readable || (writable && read_waits_write)) on_read();
        if (open && (writable || (readable && write_waits_read))) on_write();
        if (open) watch();
    }

    // Read always; write while there is something to send, or a read waits on it.
    void watch() {
        const bool write = (!outgoing.empty() && !write_waits_read) || read_waits_write;
        const unsigned want = EVENT_READ | (write ? EVENT_WRITE : 0u);
        if (want == watching) return;
        watching = want;
        selector.modify(session.stream->fd(), want, this);
    }

    // Until EAGAIN: TLS may hold decrypted bytes that no readiness would announce.
    void on_read() {
        read_waits_write = false;
        for (;;) {
            char data[1024];
            const ssize_t n = session.stream->receive(data, sizeof data);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                read_waits_write = session.stream->waits_for() == tools::Stream::Wait::write;
                return;
            }
            if (n < 0) throw io_error(options, *session.stream, "connection " + std::to_string(id) + ": receiving");
            if (n == 0) throw ClientError("connection " + std::to_string(id) + ": server closed before echoing all");
            received.append(data, static_cast<std::size_t>(n));
            std::cout << "Received '" << std::string(data, static_cast<std::size_t>(n)) << "' from connection " << id
                      << "\n";
            if (received.size() >= expected.size()) return finish();
        }
    }

    void finish() {
        if (received != expected)
            throw ClientError("connection " + std::to_string(id) +
                              ": wrong echo: " + tools::describe_wrong_echo(expected, received));
        std::cout << "Closing connection " << id << "\n";
        selector.unregister(session.stream->fd());
        session.stream.reset();
        open = false;
    }

    void on_write() {
        write_waits_read = false;
        if (outgoing.empty()) return;
        std::string& next = outgoing.front();
        if (!announced) std::cout << "Sending '" << next << "' to connection " << id << "\n";
        announced = true;
        const ssize_t n = session.stream->send(next.data(), next.size());
        if (n < 0 && errno == EAGAIN) {
            write_waits_read = session.stream->waits_for() == tools::Stream::Wait::read;
            return;
        }
        if (n < 0 && errno == EINTR) return;
        if (n < 0) throw io_error(options, *session.stream, "sending");
        next.erase(0, static_cast<std::size_t>(n));
        if (next.empty()) {
            outgoing.pop_front();
            announced = false;
        }
    }

    const Options& options;
    native::Selector& selector;
    int id;
    Session session;
    std::deque<std::string> outgoing;
    std::string expected, received;
    unsigned watching = EVENT_READ | EVENT_WRITE;
    bool read_waits_write = false, write_waits_read = false;
    bool announced = false;  // "Sending" printed for the message in front
    bool open = true;
};

}  // namespace

int selectors_client(const Options& o) {
    auto selector = native::make_selector(Backend::epoll, EpollMode::level);  // DefaultSelector
    ClientConnection first(o, *selector, 1), second(o, *selector, 2);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout);
    while (first.open || second.open) {
        if (std::chrono::steady_clock::now() > deadline) throw ClientError("timed out after " + seconds_text(o.timeout) + " s waiting for the echo");
        for (const native::Ready& ready : selector->select(100)) ready.key.data->on_events(ready.events);
    }
    return 0;
}

}  // namespace echomux::client
