// SPDX-License-Identifier: BSL-1.0
// The protocol core, differentially: a script of events fed to a Connection on a completion
// transport (scripted_transport.hpp: one send in flight, at most `most` bytes a send,
// completed when the script says), against a reference model of what must come back.
//
// Input: [mode/greeting] [max_buffer_bytes: 2 bytes] [read_chunk_bytes] [most] then events,
// one opcode byte each (low 3 bits the event, high bits its variant) and its arguments:
//   0, 1  receive: length byte (shifted left by the variant), bytes from the input (or, with
//         bit 7, made up from one pattern byte); never more than read_room(), and only when
//         it is not 0; into the loop's scratch buffer (bit 6) or a buffer of its own
//   2     the peer's FIN               3  the send in flight completes, then writable()
//   4     writable() with no completion (a spurious readiness)
//   5     resume()                     6  the transport now takes at most N bytes a send
//   7     argument % 4: a reset (failed), the next send fails (-EPIPE), the clock moves on
//         (argument * 20 ms; idle_timeout is 1 s) and tick(), or nothing
// Failures: the bytes the transport was given are not a prefix of the model's answer for
// the bytes received so far; after the script and every send completed, not all of it (and,
// after a peer FIN, then our FIN); bytes held > max_buffer_bytes + one read; interest()
// and read_room() disagreeing; a send after our FIN or release; any crash or UB.
#include "echomux/core/connection.hpp"
#include "echomux/core/service.hpp"
#include "echomux/core/shared_state.hpp"
#include "scripted_transport.hpp"
#include "support/manual_clock.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace echomux;

namespace {

constexpr const char* kPrefix = "[%p] ";
constexpr const char* kGreeting = "hello %p from %l";
using fuzz::kLocal;
using fuzz::kPeer;
using fuzz::ScriptedTransport;

[[noreturn]] void fail(const char* what) { fuzz::fail("connection", what); }

struct NoHooks final : LoopHooks {
    void adopt(int) override {}
    void watch_listener(bool) override {}
    void close_listener() override {}
    int listener_fd() override { return -1; }
};

// The reference: what the bytes received so far must become. Ten lines of rules, no buffers.
struct Model {
    Mode mode;
    std::string prefix;  // filled in
    std::string out;     // the greeting, then each received byte's answer
    bool line_start = true;
    void receive(const char* bytes, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            char c = bytes[i];
            if (mode == Mode::upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            if (mode == Mode::prefix && line_start) out += prefix;
            out += c;
            line_start = c == '\n';
        }
    }
};

struct Script {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t at = 0;
    bool more() const { return at < size; }
    std::uint8_t next() { return at < size ? data[at++] : 0; }
};

struct Run {
    explicit Run(const Config& config)
        : shared(config), service(shared, hooks, clock), connection(service, transport) {
        model.mode = config.mode;
        growth = 1;
        if (config.mode == Mode::prefix) {
            model.prefix = service.prefix().fill(kPeer, kLocal);
            model.prefix.resize(std::min(model.prefix.size(), config.max_buffer_bytes / 2));
            growth = model.prefix.size() + 1;
        }
        if (!service.greeting().empty()) {
            std::string line = service.greeting().fill(kPeer, kLocal);
            line.resize(std::min(line.size(), config.max_buffer_bytes - 1));
            model.out = line + '\n';
        }
    }

    // What a loop does with a callback's answer.
    void after(Connection::Next next) {
        if (next == Connection::Next::close) {
            connection.close();
            closed = true;
        }
        again = next == Connection::Next::again;
        if (transport.released) closed = true;  // an idle timeout closes it from tick()
    }

    void check() {
        if (transport.wire.size() > model.out.size() || model.out.compare(0, transport.wire.size(), transport.wire) != 0)
            fail("the transport was given bytes the model does not answer");
        if (service.stats().bytes_sent.get() != transport.wire.size()) fail("bytes_sent differs from the bytes sent");
        if (closed) return;
        const Interest interest = connection.interest();
        const std::size_t room = connection.read_room();
        if ((room > 0) != interest.read) fail("read_room() and interest().read disagree");
        if (room > service.read_size()) fail("read_room() is more than one read");
        const std::size_t held = model.out.size() - transport.wire.size();
        if (held > shared.config.max_buffer_bytes + largest_read * growth) fail("more held than max_buffer_bytes + one read");
        if (!interest.write && !connection.holding() && held != 0) fail("bytes wait, yet neither pending nor held");
        if (transport.fin && (!peer_fin || transport.wire_at_fin != model.out.size()))
            fail("our FIN before the peer's, or before all of the answer");
    }

    NoHooks hooks;
    test::ManualClock clock;
    SharedState shared;
    Service service;
    ScriptedTransport transport;
    Connection connection;
    Model model;
    std::size_t growth;
    std::size_t largest_read = 0;
    bool closed = false, again = false, peer_fin = false, errored = false;
};

Config config_from(Script& s) {
    Config c;
    const std::uint8_t b = s.next();
    c.mode = b % 3 == 0 ? Mode::echo : b % 3 == 1 ? Mode::upper : Mode::prefix;
    if (c.mode == Mode::prefix) c.prefix = kPrefix;
    if (b & 0x08) c.greeting = kGreeting;
    const std::size_t high = s.next();  // two statements: the order of `next() << 8 | next()` is the compiler's
    const std::size_t bytes = high << 8 | s.next();
    // As the validator allows: prefix mode needs 4 KiB (config.cpp, check_together).
    c.max_buffer_bytes = c.mode == Mode::prefix ? 4096 + bytes % 4096 : 1 + bytes % 8192;
    const std::uint8_t chunk = s.next();
    c.read_chunk_bytes = chunk >= 128 ? 64 * 1024 : 1 + chunk;
    c.idle_timeout = 1;
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5 || size > 64 * 1024) return 0;
    Script s{data, size};
    const Config config = config_from(s);
    Run r(config);
    r.shared.active = 1;  // the slot the accept took
    const std::uint8_t most = s.next();
    r.transport.most = most == 0 ? SIZE_MAX : most;
    r.after(r.connection.start());
    r.check();

    std::vector<char> own;
    while (s.more() && !r.closed) {
        const std::uint8_t op = s.next();
        switch (op & 7) {
            case 0:
            case 1: {
                std::size_t n = std::size_t{s.next()} + 1;
                n <<= (op >> 3) & 7;
                const bool made_up = op & 0x80;
                const std::uint8_t pattern = made_up ? s.next() : 0;
                if (!made_up) n = std::min(n, size - s.at);
                n = std::min(n, r.connection.read_room());
                if (n == 0) break;
                char* into = r.connection.read_buffer();
                if (!(op & 0x40)) {
                    own.assign(n, 0);  // exactly n: a read past them is a heap overflow
                    into = own.data();
                }
                for (std::size_t i = 0; i < n; ++i)
                    into[i] = made_up ? "ab\nCd\xff\r\n z"[(pattern + i) % 10] : static_cast<char>(s.next());
                r.model.receive(into, n);  // before: the connection may change them in place
                r.largest_read = std::max(r.largest_read, n);
                r.after(r.connection.received(into, n));
                break;
            }
            case 2:
                if (r.peer_fin) break;  // a FIN comes once
                r.peer_fin = true;
                r.after(r.connection.peer_closed());
                break;
            case 3:
                if (!r.transport.in_flight) break;
                r.transport.in_flight = 0;
                r.after(r.connection.writable());
                break;
            case 4: r.after(r.connection.writable()); break;
            case 5: r.after(r.connection.resume()); break;
            case 6: {
                const std::uint8_t m = s.next();
                r.transport.most = m == 0 ? SIZE_MAX : m;
                break;
            }
            case 7: {
                const std::uint8_t arg = s.next();
                switch (arg % 4) {
                    case 0: r.errored = true; r.after(r.connection.failed(ECONNRESET)); break;
                    case 1: r.errored = r.transport.fail_next = true; break;
                    case 2:
                        r.clock.advance(arg * 20);
                        r.service.tick();
                        r.after(Connection::Next::wait);
                        break;
                    default: break;
                }
                break;
            }
        }
        r.check();
    }

    // The peer reads everything from now on: each send completes, as fast as it can.
    if (!r.closed && !r.errored) {
        r.transport.most = SIZE_MAX;
        for (int turns = 0; turns < 1000 && !r.closed; ++turns) {
            if (r.transport.in_flight) {
                r.transport.in_flight = 0;
                r.after(r.connection.writable());
            } else if (r.again || r.connection.holding()) {
                r.after(r.connection.resume());
            } else {
                break;
            }
            r.check();
        }
        if (r.transport.wire != r.model.out) fail("once every send completed, not all of the answer was sent");
        if (r.peer_fin && !(r.closed && r.transport.fin)) fail("after the peer's FIN and every send, no FIN of ours");
        if (!r.peer_fin && (r.closed || !r.connection.interest().read)) fail("open and flushed, yet not reading");
    }
    return 0;
}
