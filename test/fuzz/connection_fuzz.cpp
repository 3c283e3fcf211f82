// SPDX-License-Identifier: BSL-1.0
// The protocol core, differentially: a script of events fed to a Connection on a completion
// transport (scripted_transport.hpp: one send in flight, at most `most` bytes a send,
// completed when the script says), against a reference model of what must come back, and
// with the faults on purpose, against what each allows when (fault_oracle.hpp).
//
// Input: [mode/greeting/faults] [max_buffer_bytes: 2 bytes] [read_chunk_bytes] [faults...]
// [most] then events. The first byte: % 3 the mode, bit 3 a greeting, bit 7 the fault keys
// follow (and idle_timeout is 2 s, past any delay or paced wait): a byte of which (bits 0-1:
// none, close_after_bytes, reset_after_bytes, stall_after_bytes; bits 2-3: none, close_after,
// reset_after, none; bit 4 delay; bit 5 bandwidth; bits 6-7: fault_probability 1, 0, 0.5 with
// a seed that draws the faults, 0.5 with one that does not), then for each one set, in that
// order: N - 1 (1 byte); (ms - 1) / 4 (1 byte); (delay ms - 1) / 2, then jitter ms
// % (delay + 1) (1 byte each); bandwidth - 1 (2 bytes, big-endian). accept_delay is left
// out: it parks a socket in Service::admit(), before any Connection exists.
// Events: one opcode byte each (low 3 bits the event, high bits its variant) and its arguments:
//   0, 1  receive: length byte (shifted left by the variant), bytes from the input (or, with
//         bit 7, made up from one pattern byte); never more than read_room(), and only when
//         it is not 0; into the loop's scratch buffer (bit 6) or a buffer of its own
//   2     the peer's FIN               3  the send in flight completes, then writable()
//   4     writable() with no completion (a spurious readiness)
//   5     resume()                     6  the transport now takes at most N bytes a send
//   7     argument % 4: a reset (failed), the next send fails (-EPIPE), the clock moves on
//         argument * 20 ms (idle_timeout is 1 s), or argument / 4 ms (0-63); each move then
//         tick(), and resume() if a timer asked for it (call_soon), as a loop's turn does
// Failures: the bytes the transport was given are not a prefix of the model's answer for
// the bytes received so far; after the script and every send completed (and, while bytes
// wait for a delay or the bandwidth or a lifetime is to end, the clock moved to
// next_deadline() and tick()), not all of it (and, after a peer FIN, then our FIN) unless a
// fault cut it; bytes held > max_buffer_bytes + one read; interest() and read_room()
// disagreeing; a send after our FIN or release; what fault_oracle.hpp lists; any crash or UB.
#include "echomux/core/connection.hpp"
#include "echomux/core/service.hpp"
#include "echomux/core/shared_state.hpp"
#include "fault_oracle.hpp"
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
using fuzz::FaultKeys;
using fuzz::FaultOracle;
using fuzz::kLocal;
using fuzz::kPeer;
using fuzz::ScriptedTransport;
using Action = FaultPlan::Action;

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

// The fault keys an input sets (the header comment's encoding), and the seed of the loop's draws.
struct Faults {
    FaultKeys keys;
    unsigned seed = 0;
};

// Which connections draw the faults is the loop's draw (fault_probability): made the same for
// every replay (the seed), and seen by the oracle as the connection will see it, then checked.
FaultKeys drawn(Service& service, const Faults& f) {
    service.random().seed(f.seed);
    const FaultPlan plan = service.plan_fault();
    service.random().seed(f.seed);  // the Connection draws the same
    FaultKeys k = f.keys;
    k.chosen = plan.action != Action::none || plan.lifetime_action != Action::none;
    const double p = service.config().fault_probability;
    const bool any = k.action != Action::none || k.lifetime_action != Action::none;
    if ((k.chosen && (!any || p == 0)) || (any && p == 1 && !k.chosen)) fail("fault_probability 1 or 0 not as drawn");
    if (plan.delay_ms != k.delay_ms || plan.jitter_ms != k.jitter_ms || plan.bandwidth != k.bandwidth ||
        (k.chosen && (plan.action != k.action || plan.after_bytes != (k.action != Action::none ? k.after_bytes : 0) ||
                      plan.lifetime_action != k.lifetime_action ||
                      plan.lifetime_ms != (k.lifetime_action != Action::none ? k.lifetime_ms : 0))))
        fail("the fault plan differs from the keys set");
    return k;
}

struct Run {
    Run(const Config& config, const Faults& f)
        : shared(config),
          service(shared, hooks, clock),
          faults(drawn(service, f), clock.now_ms()),
          connection(service, transport) {
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
            faults.answered(model.out.size(), clock.now_ms(), true);
        }
    }

    // What a loop does with a callback's answer.
    void after(Connection::Next next) {
        if (next == Connection::Next::close) {
            connection.close();
            closed = true;
        }
        again = next == Connection::Next::again;
        if (transport.released) closed = true;  // an idle timeout or a fault closes it from tick()
    }

    // A loop's turn after a wait: the clock moves, tick() runs what is due, and a timer that
    // asked for it (call_soon: delayed or paced bytes may go) has the connection resumed.
    void advance(long long ms) {
        clock.advance(ms);
        service.tick();
        after(Connection::Next::wait);
        if (closed || !transport.called_soon) return;
        transport.called_soon = false;
        after(connection.resume());
    }

    void receive(char* into, std::size_t n) {
        const std::size_t before = model.out.size();
        model.receive(into, n);  // before: the connection may change them in place
        faults.answered(model.out.size() - before, clock.now_ms());
        largest_read = std::max(largest_read, n);
        after(connection.received(into, n));
    }

    void check() {
        const long long now = clock.now_ms();
        if (transport.wire.size() > model.out.size() || model.out.compare(0, transport.wire.size(), transport.wire) != 0)
            fail("the transport was given bytes the model does not answer");
        if (service.stats().bytes_sent.get() != transport.wire.size()) fail("bytes_sent differs from the bytes sent");
        faults.sent(checked_wire, transport.wire.size(), now);
        checked_wire = transport.wire.size();
        faults.check(transport, connection, service.stats(), now, closed, peer_fin, model.out.size());
        if (closed) return;
        const Interest interest = connection.interest();
        const std::size_t room = connection.read_room();
        if ((room > 0) != interest.read) fail("read_room() and interest().read disagree");
        if (room > service.read_size()) fail("read_room() is more than one read");
        if (faults.cut(now, transport.wire.size())) return;  // what is left of the answer is dropped or stays
        const std::size_t held = model.out.size() - transport.wire.size();
        if (held > shared.config.max_buffer_bytes + largest_read * growth) fail("more held than max_buffer_bytes + one read");
        // Delayed or paced bytes wait for the fault timer, not the socket: the flush moves the clock for them.
        if (!interest.write && !connection.holding() && held != 0 && !faults.paced())
            fail("bytes wait, yet neither pending nor held");
    }

    NoHooks hooks;
    test::ManualClock clock;
    SharedState shared;
    Service service;
    FaultOracle faults;
    ScriptedTransport transport;
    Connection connection;
    Model model;
    std::size_t growth;
    std::size_t largest_read = 0;
    std::size_t checked_wire = 0;  // the wire's bytes the oracle has seen sent
    bool closed = false, again = false, peer_fin = false, errored = false;
};

void faults_from(Script& s, Config& c, Faults& f) {
    const std::uint8_t which = s.next();
    FaultKeys& k = f.keys;
    constexpr Action kActions[] = {Action::none, Action::close, Action::reset, Action::stall};
    k.action = kActions[which & 3];
    k.lifetime_action = kActions[(which >> 2) & 3] == Action::stall ? Action::none : kActions[(which >> 2) & 3];
    const unsigned p = which >> 6;
    c.fault_probability = p == 0 ? 1 : p == 1 ? 0 : 0.5;
    f.seed = p == 2 ? 0 : p == 3 ? 2 : p;  // 0.5 as seed 0 draws it (chosen), as seed 2 (not chosen)
    if (k.action != Action::none) {
        k.after_bytes = 1 + std::uint64_t{s.next()};
        (k.action == Action::close ? c.close_after_bytes : k.action == Action::reset ? c.reset_after_bytes
                                                                                     : c.stall_after_bytes) = k.after_bytes;
    }
    if (k.lifetime_action != Action::none) {
        k.lifetime_ms = 1 + 4 * static_cast<long long>(s.next());
        (k.lifetime_action == Action::close ? c.close_after : c.reset_after) = static_cast<double>(k.lifetime_ms) / 1000;
    }
    if (which & 0x10) {
        k.delay_ms = 1 + 2 * static_cast<long long>(s.next());
        k.jitter_ms = s.next() % (k.delay_ms + 1);  // the validator: no more than delay
        c.delay = static_cast<double>(k.delay_ms) / 1000;
        c.delay_jitter = static_cast<double>(k.jitter_ms) / 1000;
    }
    if (which & 0x20) {
        const std::uint64_t high = s.next();
        k.bandwidth = c.bandwidth = 1 + (high << 8 | s.next());
    }
    c.idle_timeout = 2;
}

Config config_from(Script& s, Faults& f) {
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
    if (b & 0x80) faults_from(s, c, f);
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5 || size > 64 * 1024) return 0;
    Script s{data, size};
    Faults faults;
    const Config config = config_from(s, faults);
    Run r(config, faults);
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
                r.receive(into, n);
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
                    case 2: r.advance(arg * 20); break;
                    default: r.advance(arg / 4); break;
                }
                break;
            }
        }
        r.check();
    }

    // The peer reads everything from now on: each send completes, as fast as it can, and the
    // clock moves to the next deadline while only time brings more (a delay, the bandwidth,
    // a lifetime's end). Bounded: each move lets at least one byte go, or ends the lifetime.
    if (!r.closed && !r.errored) {
        r.transport.most = SIZE_MAX;
        const std::size_t turns_most = 1000 + 8 * (r.model.out.size() - r.transport.wire.size());
        for (std::size_t turns = 0; turns < turns_most && !r.closed; ++turns) {
            if (r.transport.in_flight) {
                r.transport.in_flight = 0;
                r.after(r.connection.writable());
            } else if (r.again || r.connection.holding()) {
                r.after(r.connection.resume());
            } else if (r.faults.waits(r.clock.now_ms(), r.transport.wire.size(), r.model.out.size())) {
                const auto at = r.service.next_deadline();
                if (!at) fail("bytes wait for their time, yet no deadline");
                r.advance(std::max(0LL, *at - r.clock.now_ms()));
            } else {
                break;
            }
            r.check();
        }
        if (!r.faults.cut(r.clock.now_ms(), r.transport.wire.size())) {
            if (r.transport.wire != r.model.out) fail("once every send completed, not all of the answer was sent");
            if (r.peer_fin && !(r.closed && r.transport.fin)) fail("after the peer's FIN and every send, no FIN of ours");
            if (!r.peer_fin && (r.closed || !r.connection.interest().read)) fail("open and flushed, yet not reading");
        }
    }
    static const bool trace = std::getenv("ECHOMUX_FUZZ_TRACE") != nullptr;
    if (trace)
        std::fprintf(stderr, "answer %zu, sent %zu, %s%s%s%s after %lld ms, faults %s\n", r.model.out.size(),
                     r.transport.wire.size(), r.transport.fin ? "our FIN, " : "", r.transport.aborted ? "RST, " : "",
                     r.closed ? "closed" : "open", r.connection.state() == Connection::State::stalled ? " (stalled)" : "",
                     r.clock.now_ms() - 1'000'000, r.faults.names().c_str());
    return 0;
}
