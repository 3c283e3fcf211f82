// SPDX-License-Identifier: BSL-1.0
// The TLS layer, differentially: a server-side TlsConnection over a completion transport
// (scripted_transport.hpp) facing a real OpenSSL client on memory BIOs. The script chooses
// what the client writes, how its ciphertext is cut into reads, where bytes are flipped or
// raw bytes (a ClientHello of the fuzzer's making) go in, and the peer's and transport's
// events, as connection_fuzz does. A run where the client's bytes went in unchanged must
// come back decrypting to exactly the greeting and the echo of every whole record
// delivered; a run with bytes flipped or injected must still end cleanly.
//
// Input: [config] [max_buffer_bytes: 2 bytes] [read_chunk_bytes] [most] then events, one
// opcode byte each (low 4 bits the event, high 4 bits its variant) and its arguments:
//   config: bit 0 upper (else echo), bit 1 a greeting, bit 2 the client stops at TLS 1.2,
//   bits 3-4 PROXY: off | required, header sent | optional, header sent | optional, none,
//   bit 5 the server's second context (TLS 1.3 only, ALPN h2,echo), bit 6 the client offers ALPN,
//   bit 7 the client's ClientHello is not taken: raw bytes (event 3) come first
//   0  the client writes: length byte (shifted left by variant & 7), bytes from the input
//      (or, with variant bit 3, made up from one pattern byte); in all at most 64 KiB, and
//      4 KiB + 64 x max_buffer_bytes (a buffer of 1 byte makes a record of each byte)
//   1  deliver: length byte (shifted the same) of the client's ciphertext, at most
//      read_room(); variant bit 3: into a buffer of its own, not the loop's scratch
//   2  deliver, one byte flipped: length byte, position byte, xor byte
//   3  raw bytes into the client's stream: length byte, then that many input bytes
//   4  the send in flight completes, then writable()     5  writable() alone (spurious)
//   6  resume()                    7  the transport takes at most N bytes a send
//   8  the client reads what the server sent (and finishes its handshake, writes what waits)
//   9  the client's close_notify   10 the peer's FIN (no delivery after it)
//   11 the client's KeyUpdate (TLS 1.3: the server must answer with its own)
//   12 a reset                     13 the next send fails (-EPIPE)
//   14 the clock moves on (argument * 20 ms; both timeouts are 1 s), then tick()
//   15 the client renegotiates (TLS 1.2; the server refuses)
// Failures: in a clean run, what the client decrypts is not a prefix of the greeting plus the
// model's answer, or not all of it once everything is delivered and sent (then, after the
// client's close_notify or FIN, no close_notify and FIN of ours); a clean handshake that
// fails, or gives the client a session ticket (resumption is off); more plaintext held than
// max_buffer_bytes + one read + 3 records (OpenSSL's decrypted record, the record on its way
// out, and one cut in the wire); in every run, an OpenSSL error left in the thread's queue,
// interest() and read_room() disagreeing, a send after our FIN or release, a crash, UB, a leak.
#include "echomux/core/service.hpp"
#include "echomux/core/shared_state.hpp"
#include "echomux/core/tls_connection.hpp"
#include "echomux/core/tls_context.hpp"
#include "echomux/util/log.hpp"
#include "scripted_transport.hpp"
#include "support/manual_clock.hpp"
#include "throwaway_tls.hpp"
#include "tls_fuzz_client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace echomux;

namespace {

constexpr const char* kGreeting = "hi %p on %l, %n over %v";
constexpr const char* kProxyHeader = "PROXY TCP4 198.51.100.7 192.0.2.2 4242 7007\r\n";
constexpr const char* kProxyClient = "198.51.100.7:4242";

[[noreturn]] void fail(const char* what) { fuzz::fail("tls", what); }

struct NoHooks final : LoopHooks {
    void adopt(int) override {}
    void watch_listener(bool) override {}
    void close_listener() override {}
    int listener_fd() override { return -1; }
};

// The server's two contexts, made once: TLS 1.2 and up without ALPN; TLS 1.3 with ALPN.
std::shared_ptr<const TlsContext> server_context(bool second) {
    static const auto contexts = [] {
        fuzz::RepeatableRandom::install();
        Config c;
        c.tls_cert = fuzz::throwaway_certificate_path();
        auto first = std::make_shared<const TlsContext>(c);
        c.tls_min_version = TlsVersion::v1_3;
        c.tls_alpn = "h2,echo";
        return std::make_pair(first, std::make_shared<const TlsContext>(c));
    }();
    return second ? contexts.second : contexts.first;
}

struct Script {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t at = 0;
    bool more() const { return at < size; }
    std::uint8_t next() { return at < size ? data[at++] : 0; }
};

Config config_from(Script& s) {
    Config c;
    c.tls_cert = "throwaway";  // the context is made once (server_context)
    const std::uint8_t b = s.next();
    c.mode = b & 1 ? Mode::upper : Mode::echo;
    if (b & 2) c.greeting = kGreeting;
    const int proxy = (b >> 3) & 3;
    c.proxy_protocol = proxy == 0 ? ProxyProtocol::off : proxy == 1 ? ProxyProtocol::required : ProxyProtocol::optional;
    const std::size_t high = s.next();  // two statements: the order of `next() << 8 | next()` is the compiler's
    const std::size_t bytes = high << 8 | s.next();
    c.max_buffer_bytes = 1 + bytes;
    const std::uint8_t chunk = s.next();
    c.read_chunk_bytes = chunk >= 128 ? 64 * 1024 : 1 + chunk * 8;
    c.idle_timeout = 1;
    c.tls_handshake_timeout = 1;
    c.proxy_header_timeout = 1;
    return c;
}

using fuzz::Client;

struct Run {
    Run(const Config& config, std::uint8_t flags)
        : shared(config),
          service((shared.set_tls(server_context(flags & 0x20)), shared), hooks, clock),
          session(service, transport, service.tls()),
          client(flags & 4 ? TLS1_2_VERSION : TLS1_3_VERSION, flags & 0x40),
          compatible(!((flags & 4) && (flags & 0x20))) {
        const int proxy = (flags >> 3) & 3;
        if (proxy == 1 || proxy == 2) client.stream = kProxyHeader;
        peer = proxy == 1 || proxy == 2 ? kProxyClient : fuzz::kPeer;
        shared.active = 1;  // the slot the accept took
    }

    void after(Next next) {
        if (next == Next::close) {
            session.close();
            closed = true;
        }
        again = next == Next::again;
        if (transport.released) closed = true;  // a timeout closes it from tick()
    }

    void deliver(std::size_t n, bool own_buffer, std::size_t flip_at = 0, std::uint8_t flip = 0) {
        if (closed || peer_fin) return;
        if (session.holding()) after(session.resume());  // as a loop does before reading
        if (closed) return;
        n = std::min({n, session.read_room(), client.stream.size() - client.delivered});
        if (n == 0) return;
        char* into = session.read_buffer();
        if (own_buffer) {
            own.assign(n, 0);  // exactly n: a read past them is a heap overflow
            into = own.data();
        }
        std::copy_n(client.stream.data() + client.delivered, n, into);
        if (flip) {
            into[flip_at % n] = static_cast<char>(into[flip_at % n] ^ flip);
            unclean = true;
        }
        client.delivered += n;
        client.delivered_up_to(client.delivered);
        after(session.received(into, n));
    }

    bool handshake_done() const { return service.stats().tls_handshakes_ok.get() == 1; }

    // The greeting, as the client's view of the handshake fills it in.
    std::string greeting() const {
        if (!handshake_done() || service.greeting().empty()) return "";
        Endpoints who{peer, fuzz::kLocal, "localhost", SSL_get_version(client.ssl), "", ""};
        std::string line = service.greeting().fill(who);
        line.resize(std::min(line.size(), shared.config.max_buffer_bytes - 1));
        return line + '\n';
    }
    // The greeting, then each delivered byte's answer: what the client must decrypt.
    std::string expected() const {
        if (!handshake_done()) return "";
        std::string echo = client.sent.substr(0, client.plain_delivered);
        if (shared.config.mode == Mode::upper)
            for (char& c : echo)
                if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        return greeting() + echo;
    }

    void check() {
        if (!closed) {
            const Interest interest = session.interest();
            const std::size_t room = session.read_room();
            if ((room > 0) != interest.read) fail("read_room() and interest().read disagree");
            if (room > service.read_size()) fail("read_room() is more than one read");
        }
        // One loop serves many connections on one thread, and SSL_get_error reads the thread's
        // queue: an error left there would turn another connection's WANT_READ into a failure.
        if (ERR_peek_error() != 0) fail("an OpenSSL error left in the thread's error queue");
        if (unclean || !handshake_done()) return;
        const std::string want = expected();
        const std::string& got = client.received;
        if (got.size() > want.size() || want.compare(0, got.size(), got) != 0)
            fail("the client decrypted bytes the model does not answer");
        const std::size_t greeting_size = want.size() - client.plain_delivered;
        const std::size_t echoed = got.size() > greeting_size ? got.size() - greeting_size : 0;
        const std::size_t bound = shared.config.max_buffer_bytes + service.read_size() + 3 * kTlsRecordBytes;
        const std::size_t held = client.plain_delivered - echoed;
        if (held > bound) fail("more held than max_buffer_bytes + one read + 3 records");
        if (held > shared.config.max_buffer_bytes) most_beyond_buffer = std::max(most_beyond_buffer, held - shared.config.max_buffer_bytes);
    }

    NoHooks hooks;
    test::ManualClock clock;
    SharedState shared;
    Service service;
    fuzz::ScriptedTransport transport;
    TlsConnection session;
    Client client;
    bool compatible;
    std::string peer;
    std::vector<char> own;
    bool closed = false, again = false, peer_fin = false, errored = false, unclean = false;
    std::size_t written = 0;             // plaintext the script had the client write
    std::size_t most_beyond_buffer = 0;  // the most held past max_buffer_bytes (the trace says it)
};

int run(const std::uint8_t* data, std::size_t size);

// OpenSSL draws random bytes for some state once (the first signature with a key, among
// others): three handshakes before the first input, so every input runs as its replay does.
bool warm_up() {
    for (std::uint8_t flags : {0x00, 0x04, 0x60}) {
        const std::uint8_t script[] = {flags, 0x04, 0x00, 0xff, 0x00, 0x71, 0xff, 0x04, 0x08, 0x71, 0xff, 0x04, 0x08};
        run(script, sizeof script);
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool warm = [] {
        if (std::getenv("ECHOMUX_FUZZ_TRACE")) log::set_level(log::Level::debug);  // why a handshake failed
        return warm_up();
    }();
    (void)warm;
    return run(data, size);
}

namespace {

int run(const std::uint8_t* data, std::size_t size) {
    if (size < 5 || size > 64 * 1024) return 0;
    fuzz::RepeatableRandom::install();
    Script s{data, size};
    const std::uint8_t flags = s.data[0];
    const Config config = config_from(s);
    Run r(config, flags);
    const std::uint8_t most = s.next();
    r.transport.most = most == 0 ? SIZE_MAX : most;
    r.after(r.session.start());
    if (flags & 0x80) r.unclean = r.client.silent = true;  // the fuzzer's own ClientHello
    else r.client.read(r.transport.wire);  // the client's ClientHello
    const bool tls13 = !(flags & 4);

    while (s.more() && !r.closed) {
        const std::uint8_t op = s.next();
        const int variant = op >> 4;
        switch (op & 15) {
            case 0: {
                std::size_t n = (std::size_t{s.next()} + 1) << (variant & 7);
                std::string plain;
                if (variant & 8) {
                    const std::uint8_t pattern = s.next();
                    for (std::size_t i = 0; i < n; ++i) plain += "ab\nCd\xff\r\n z"[(pattern + i) % 10];
                } else {
                    n = std::min(n, size - s.at);
                    plain.assign(reinterpret_cast<const char*>(data + s.at), n);
                    s.at += n;
                }
                // Bounded, so a tiny max_buffer_bytes (a record a byte) does not make a slow unit.
                const std::size_t cap = std::min<std::size_t>(64 * 1024, 4096 + 64 * config.max_buffer_bytes);
                plain.resize(std::min(plain.size(), cap - std::min(cap, r.written)));
                r.written += plain.size();
                if (!r.client.shut && !plain.empty()) r.client.write(plain);
                break;
            }
            case 1: r.deliver((std::size_t{s.next()} + 1) << (variant & 7), variant & 8); break;
            case 2: {
                const std::size_t n = std::size_t{s.next()} + 1;
                const std::uint8_t at = s.next();
                r.deliver(n, false, at, s.next() | 1);
                break;
            }
            case 3: {
                const std::size_t length = std::size_t{s.next()} + 1;  // before size - s.at, not unsequenced with it
                const std::size_t n = std::min(length, size - s.at);
                r.client.stream.append(reinterpret_cast<const char*>(data + s.at), n);
                s.at += n;
                r.unclean = true;
                break;
            }
            case 4:
                if (!r.transport.in_flight) break;
                r.transport.in_flight = 0;
                r.after(r.session.writable());
                break;
            case 5: r.after(r.session.writable()); break;
            case 6: r.after(r.session.resume()); break;
            case 7: {
                const std::uint8_t m = s.next();
                r.transport.most = m == 0 ? SIZE_MAX : m;
                break;
            }
            case 8: r.client.read(r.transport.wire); break;
            case 9:
                if (!r.client.finished() || r.client.shut) break;
                SSL_shutdown(r.client.ssl);
                r.client.shut = true;
                r.client.take_output();
                break;
            case 10:
                if (r.peer_fin) break;
                r.peer_fin = true;
                r.after(r.session.peer_closed());
                break;
            case 11:
                if (!tls13 || !r.client.finished() || r.client.shut) break;
                SSL_key_update(r.client.ssl, SSL_KEY_UPDATE_REQUESTED);
                SSL_do_handshake(r.client.ssl);  // sends it
                r.client.take_output();
                break;
            case 12: r.errored = true; r.after(r.session.failed(ECONNRESET)); break;
            case 13: r.errored = r.transport.fail_next = true; break;
            case 14:
                r.clock.advance(s.next() * 20);
                r.service.tick();
                r.after(Next::wait);
                if (r.closed) r.unclean = true;  // a timeout, not a fault of the bytes
                break;
            case 15:
                if (tls13 || !r.client.finished() || r.client.shut) break;
                SSL_renegotiate(r.client.ssl);
                SSL_do_handshake(r.client.ssl);
                r.client.take_output();
                r.unclean = true;  // refused: the client gives up
                break;
        }
        r.check();
    }

    // Everything the client sent is delivered, every send completes, the client reads it all.
    if (r.errored) return 0;
    r.transport.most = SIZE_MAX;
    // holding() stays true while half a record waits inside OpenSSL, so progress is what moved.
    const auto progress = [&r] {
        return std::make_tuple(r.client.delivered, r.transport.wire.size(), r.client.stream.size(),
                               r.client.received.size(), r.closed, r.transport.fin);
    };
    int turns = 0;
    for (; turns < 1000000; ++turns) {  // max_buffer_bytes = 1: a few turns a byte
        const auto before = progress();
        const bool busy = !r.closed && (r.transport.in_flight || r.again);
        if (r.closed) {
        } else if (r.transport.in_flight) {
            r.transport.in_flight = 0;
            r.after(r.session.writable());
        } else if (r.again || r.session.holding()) {
            r.after(r.session.resume());
        }
        r.deliver(SIZE_MAX, false);
        r.client.read(r.transport.wire);
        r.check();
        if (!busy && before == progress()) break;
    }
    if (turns == 1000000) fail("a million turns and still busy: Next::again for ever?");
    if (std::getenv("ECHOMUX_FUZZ_TRACE"))  // what a replayed input did, in one line
        std::fprintf(stderr, "tls: handshake %s, %zu of %zu plaintext bytes delivered, %zu decrypted of %zu expected, "
                     "%zu bytes sent (hash %zx), at most %zu held past max_buffer_bytes (read %zu), %s%s%s%s\n", r.handshake_done() ? "done" : "not done", r.client.plain_delivered,
                     r.client.sent.size(), r.client.received.size(), r.expected().size(), r.transport.wire.size(), std::hash<std::string>{}(r.transport.wire), r.most_beyond_buffer, r.service.read_size(), r.unclean ? "unclean, " : "",
                     r.closed ? "closed, " : "", r.transport.fin ? "our FIN, " : "",
                     r.client.closed_by_server ? "our close_notify" : "");
    if (r.unclean || !r.compatible) return 0;
    if (r.client.broken) fail("the client broke off in a clean run");
    const bool all_delivered = r.client.delivered == r.client.stream.size();
    if (all_delivered && !r.peer_fin && !r.handshake_done()) fail("a clean handshake did not finish");
    if (!r.handshake_done()) return 0;  // the peer's FIN came first
    if (r.client.received != r.expected()) fail("once everything was delivered and sent, not all of the answer came");
    if (SSL_SESSION_has_ticket(SSL_get_session(r.client.ssl))) fail("a session ticket: resumption is off (tls_context.cpp)");
    const bool ended = r.peer_fin || (r.client.shut && all_delivered);
    if (ended && !r.transport.fin) fail("after the client's close_notify or FIN and every send, no FIN of ours");
    if (r.client.shut && all_delivered && !r.client.closed_by_server) fail("no close_notify after the client's");
    if (!ended && (r.closed || !r.session.interest().read)) fail("open and flushed, yet not reading");
    return 0;
}

}  // namespace
