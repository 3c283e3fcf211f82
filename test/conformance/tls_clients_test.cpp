// SPDX-License-Identifier: BSL-1.0
// TLS echo against the clients people point at an echo service, once per backend: openssl
// s_client, ncat --ssl, socat OPENSSL: and Python's ssl module (scripts/install-deps.sh --test
// installs them; a missing one fails the test, saying so). What tls_test.cpp and
// tls_identity_test.cpp prove with the tests' own OpenSSL client is not repeated here, except
// where a real client's behaviour differs (ncat half-closes with a bare FIN, socat with
// close_notify) or is the point (a 64 MiB transfer, 200 clients at once, a certificate
// rotated under an open connection).
// Not here: PROXY protocol before TLS (the server refuses proxy_protocol with tls_cert so far).
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace echomux::test;

namespace {

// A client program by name, from PATH (Process does not search it): a test fails, saying how
// to get it, where it is missing.
std::string program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    BOOST_FAIL(name << " is not installed: run scripts/install-deps.sh --test (Debian: apt-get install "
                    << (name == "python3" ? "python3" : name) << ")");
    return {};
}

// Debian's python3 (its ssl module is OpenSSL 3's) where it is, else the first on PATH.
std::string python() { return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : program("python3"); }

std::vector<std::string> tls_args(const std::string& dir, std::vector<std::string> more = {}) {
    more.push_back("--tls-cert=" + dir + "/server.pem");
    more.push_back("--tls-key=" + dir + "/server.key");
    return more;
}

std::string port_text(int port) { return std::to_string(port); }

// Polls `p`'s stdout (a real client's) for `text` until `timeout` or its exit.
bool wait_for_out(Process& p, const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (p.out().find(text) != std::string::npos) return true;
        if (p.wait(0ms) || std::chrono::steady_clock::now() >= deadline) return p.out().find(text) != std::string::npos;
        std::this_thread::sleep_for(5ms);
    }
}

// A client whose stdin stays open until the test closes it (through a FIFO): openssl
// s_client shuts its connection down at its stdin's EOF, so a line given as the whole input
// may never come back. Lines go in one at a time, and the test waits for each echo.
class Interactive {
public:
    explicit Interactive(const std::vector<std::string>& argv) {
        BOOST_REQUIRE(::mkfifo(fifo_.c_str(), 0600) == 0);
        std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$@\" <\"$TLS_CLIENT_STDIN\"", "sh"};
        sh.insert(sh.end(), argv.begin(), argv.end());
        process_ = std::make_unique<Process>(sh, ProcessOptions{{{"TLS_CLIENT_STDIN", fifo_}}, {}, {}});
        // The FIFO opens for writing once the client has it open for reading.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while ((stdin_ = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENXIO &&
               std::chrono::steady_clock::now() < deadline && !process_->wait(0ms))
            std::this_thread::sleep_for(5ms);
        BOOST_REQUIRE_MESSAGE(stdin_ >= 0, argv.at(0) << " never opened its stdin: " << process_->err());
        ::fcntl(stdin_, F_SETFL, ::fcntl(stdin_, F_GETFL) & ~O_NONBLOCK);
    }
    ~Interactive() { close_stdin(); }

    Process& process() { return *process_; }
    // False when the client has gone (EPIPE, without the SIGPIPE that would end the test).
    bool write(const std::string& text) {
        sigset_t pipe, old;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe, &old);
        std::size_t at = 0;
        while (at < text.size()) {
            const ssize_t n = ::write(stdin_, text.data() + at, text.size() - at);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        if (at < text.size()) {
            const timespec now{0, 0};
            ::sigtimedwait(&pipe, nullptr, &now);  // the pending SIGPIPE, if any
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return at == text.size();
    }
    // A line out and its echo back, appended to what came before on stdout.
    bool echoes(const std::string& line) {
        expected_ += line;
        return write(line) && wait_for_out(*process_, expected_, 10s);
    }
    // Bytes the server sends first (a greeting), appended likewise.
    bool expect(const std::string& text) {
        expected_ += text;
        return wait_for_out(*process_, expected_, 10s);
    }
    void close_stdin() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
    }
    // Exit status after its stdin's EOF; a test failure if it does not end by `timeout`.
    int finish(std::chrono::milliseconds timeout = 20s) {
        close_stdin();
        const auto status = process_->wait(timeout);
        BOOST_REQUIRE_MESSAGE(status, "the client did not exit: " << process_->err());
        return *status;
    }

private:
    TempDir dir_{"echomux-tls-client"};
    std::string fifo_ = dir_.path() + "/stdin";
    std::unique_ptr<Process> process_;
    int stdin_ = -1;
    std::string expected_;
};

// openssl s_client verifying the server against `ca`, stdout only the echoed bytes.
std::vector<std::string> s_client(int port, const std::string& ca, std::vector<std::string> more = {}) {
    std::vector<std::string> argv = {program("openssl"), "s_client", "-quiet", "-no_ign_eof", "-verify_return_error",
                                     "-CAfile", ca, "-connect", "localhost:" + port_text(port)};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
}

// A program with stdin from `in` and stdout to `out` (files: megabytes do not fit a pipe
// written before the child reads).
Run run_with_files(const std::vector<std::string>& argv, const std::string& in, const std::string& out,
                   std::chrono::milliseconds timeout) {
    std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$@\" <\"$TLS_CLIENT_IN\" >\"$TLS_CLIENT_OUT\"", "sh"};
    sh.insert(sh.end(), argv.begin(), argv.end());
    return run_to_end(sh, ProcessOptions{{{"TLS_CLIENT_IN", in}, {"TLS_CLIENT_OUT", out}}, {}, {}}, timeout);
}

std::string write_pattern_file(const std::string& path, std::size_t size, std::uint64_t seed) {
    const auto bytes = random_bytes(size, seed);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return std::string(bytes.begin(), bytes.end());
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Python's ssl over memory BIOs, one thread, non-blocking: sends SIZE bytes while reading
// what comes back, then its close_notify (half-close; it reads on), then reads until the
// server's close_notify ("clean"; a bare EOF is an error). Prints sizes and SHA-256s of both ways.
// (SSLSocket.unwrap() reads on in SSL_shutdown, which discards the echo still to come.)
const char* const kPythonHalfClose = R"PY(
import hashlib, os, selectors, socket, ssl, sys, time
port, ca, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
data = os.urandom(size)
ctx = ssl.create_default_context(cafile=ca)
ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF  # Python sets it: a bare EOF would read as close_notify
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.setblocking(False)
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
sel = selectors.DefaultSelector()
sel.register(sock, selectors.EVENT_READ)
back = hashlib.sha256()
received = sent = 0
pending = b""
handshaken = shut = clean = eof = False

def drain():  # what the incoming BIO holds; True at the server's close_notify
    global received
    try:
        while True:
            chunk = tls.read(1 << 16)
            if not chunk:
                return True
            back.update(chunk)
            received += len(chunk)
    except ssl.SSLZeroReturnError:
        return True
    except ssl.SSLWantReadError:
        return False
    except ssl.SSLError as e:  # a bare EOF among them
        sys.exit("after %d of %d bytes back: %s" % (received, size, e))

deadline = time.monotonic() + 90
while not clean:
    if time.monotonic() > deadline:
        sys.exit("timed out: sent %d received %d" % (sent, received))
    if not handshaken:
        try:
            tls.do_handshake()
            handshaken = True
        except ssl.SSLWantReadError:
            pass
    if handshaken:
        clean = drain()
        while sent < size and len(pending) + outgoing.pending < (1 << 20):
            sent += tls.write(data[sent:sent + (1 << 16)])
        if sent == size and not shut:
            shut = True
            try:
                tls.unwrap()  # our close_notify into the outgoing BIO; nothing to read yet
            except ssl.SSLWantReadError:
                pass
    pending += outgoing.read()
    while pending:
        try:
            n = sock.send(pending)
        except BlockingIOError:
            break
        pending = pending[n:]
    if clean:
        break
    if eof:
        break
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0)
    sel.modify(sock, events)
    ready = sel.select(timeout=1)
    for key, mask in ready:
        if mask & selectors.EVENT_READ:
            try:
                chunk = sock.recv(1 << 18)
            except (BlockingIOError, InterruptedError):
                continue
            if chunk:
                incoming.write(chunk)
            else:
                incoming.write_eof()
                eof = True
if not clean:  # the EOF came: what the BIO still holds, then a close_notify or an error
    clean = drain()
print("version=%s sent=%d received=%d sent_sha256=%s received_sha256=%s clean=%d" %
      (tls.version(), sent, received, hashlib.sha256(data).hexdigest(), back.hexdigest(), int(clean)))
)PY";

// COUNT asyncio clients, each with its own line: all connect and finish their handshakes,
// then (all open at once) each sends its line, reads it back and closes with close_notify.
const char* const kPythonConcurrent = R"PY(
import asyncio, ssl, sys
port, ca, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)

async def main():
    connected = 0
    everyone = asyncio.Event()
    async def client(i):
        nonlocal connected
        line = ("client %03d of %d " % (i, count) * 20 + "\n").encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
        connected += 1
        if connected == count:
            everyone.set()
        await everyone.wait()
        writer.write(line)
        await writer.drain()
        back = await reader.readexactly(len(line))
        writer.close()
        await writer.wait_closed()
        return back == line
    results = await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(count)), return_exceptions=True), 90)
    good = sum(1 for r in results if r is True)
    errors = sorted({repr(r) for r in results if r is not True})
    print("exact=%d of %d" % (good, count))
    for e in errors[:5]:
        print("error:", e)

asyncio.run(main())
)PY";

// A second throwaway CA and its certificates, also for `extra` names.
struct OtherCa {
    TempDir dir{"echomux-tls-b"};
    explicit OtherCa(const std::string& extra = "") {
        const std::string command =
            std::string("sh " ECHOMUX_SOURCE_DIR "/scripts/tls-certs.sh ") + dir.path() + " " + extra + " >/dev/null";
        BOOST_REQUIRE(std::system(command.c_str()) == 0);
    }
    std::string path(const std::string& file) const { return dir.path() + "/" + file; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_clients)

// Python's ssl sends 64 MiB and its close_notify, reading as it goes: every byte comes back
// (same length, same SHA-256), then the server's close_notify. 64 MiB takes about a second
// here on an idle core (a few under ASan).
BOOST_AUTO_TEST_CASE(python_ssl_64_mib_with_half_close_comes_back_whole_then_close_notify) {
    const std::size_t size = 64u << 20;
    Server server(tls_args(tls_cert_dir()));
    const Run run = run_to_end({python(), "-c", kPythonHalfClose, port_text(server.port()), tls_cert_dir() + "/ca.pem",
                                std::to_string(size)},
                               {}, 120s);
    BOOST_REQUIRE_MESSAGE(run.status == 0, "python3 exited " << run.status << ": " << run.err);
    BOOST_TEST_MESSAGE(run.out);
    const std::string sizes = "sent=" + std::to_string(size) + " received=" + std::to_string(size) + " ";
    BOOST_TEST(run.out.find(sizes) != std::string::npos, run.out);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(run.out, m, std::regex("sent_sha256=([0-9a-f]{64}) received_sha256=([0-9a-f]{64})")));
    BOOST_TEST(m[1].str() == m[2].str());
    BOOST_TEST(run.out.find(" clean=1") != std::string::npos, run.out);  // the server's close_notify came
    BOOST_TEST(run.out.find("version=TLSv1.3 ") != std::string::npos, run.out);
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("closed_eof") == 1u);
    BOOST_TEST(server.counter("bytes_received") == size);
    BOOST_TEST(server.counter("bytes_sent") == size);
}

// 200 Python clients open at once, each with its own line: each gets exactly its own back.
BOOST_AUTO_TEST_CASE(two_hundred_concurrent_python_clients_each_get_exactly_their_own_line) {
    const int count = 200;
    Server server(tls_args(tls_cert_dir()));
    const Run run =
        run_to_end({python(), "-c", kPythonConcurrent, port_text(server.port()), tls_cert_dir() + "/ca.pem",
                    std::to_string(count)},
                   {}, 120s);
    BOOST_REQUIRE_MESSAGE(run.status == 0, "python3 exited " << run.status << ": " << run.err);
    BOOST_TEST(run.out == "exact=200 of 200\n", run.out);
    server.stop();
    BOOST_TEST(server.counter("accepted") == 200u);
    BOOST_TEST(server.counter("tls_handshakes_ok") == 200u);
    BOOST_TEST(server.counter("closed_eof") == 200u);
    BOOST_TEST(server.counter("closed_tls_error") == 0u);
}

// SIGHUP with a certificate from another CA in the files' place: an open s_client keeps
// echoing through the reload on the certificate it verified (A's CA), and new connections
// verify only against B's CA.
BOOST_AUTO_TEST_CASE(sighup_rotates_the_certificate_while_an_open_connection_keeps_echoing) {
    const std::string a = tls_cert_dir();
    OtherCa b;
    TempDir live("echomux-tls-live");
    const std::string cert = live.path() + "/tls.crt", key = live.path() + "/tls.key";
    const auto install = [&](const std::string& dir) {  // as a Secret's files change: a rename each
        BOOST_REQUIRE(std::system(("cp " + dir + "/server.pem " + cert + ".new && mv " + cert + ".new " + cert + " && cp " +
                                   dir + "/server.key " + key + ".new && mv " + key + ".new " + key)
                                      .c_str()) == 0);
    };
    install(a);
    const std::string conf = live.path() + "/echomux.conf";
    std::ofstream(conf) << "tls_cert = " << cert << "\ntls_key = " << key << "\n";
    Server server({"--config", conf});

    Interactive old(s_client(server.port(), a + "/ca.pem"));
    BOOST_REQUIRE_MESSAGE(old.echoes("before the reload\n"), old.process().err());

    install(b.path(""));
    server.process().signal(SIGHUP);
    BOOST_TEST(old.echoes("during the reload\n"), old.process().err());
    BOOST_REQUIRE_MESSAGE(server.process().wait_for_err("reload: done", 10s), server.process().err());
    BOOST_TEST(server.process().err().find("reload: listener") == std::string::npos, server.process().err());

    // New connections: B's certificate, which A's CA does not verify.
    const Run with_a = run_to_end(s_client(server.port(), a + "/ca.pem"), {}, 20s);
    BOOST_TEST(with_a.status != 0);
    BOOST_TEST(with_a.err.find("certificate verify failed") != std::string::npos, with_a.err);
    const Run with_b = run_to_end(s_client(server.port(), b.path("ca.pem")), {}, 20s);
    BOOST_TEST(with_b.status == 0, with_b.err);
    {
        TlsClient fresh(server.port(), TlsOptions{b.path("ca.pem"), "localhost", 0});
        BOOST_REQUIRE_MESSAGE(fresh.handshake_ok(), fresh.error());
        BOOST_REQUIRE(fresh.write_all("new pair\n"));
        BOOST_TEST(fresh.read_exact(9) == "new pair\n");
        fresh.close_notify();
        bool clean = false;
        BOOST_TEST(fresh.read_to_end(&clean).empty());
        BOOST_TEST(clean);
    }

    // The old connection, on A's certificate, echoes on and ends cleanly.
    BOOST_TEST(old.echoes("after the reload\n"), old.process().err());
    BOOST_TEST(old.finish() == 0, old.process().err());
    BOOST_TEST(old.process().out() == "before the reload\nduring the reload\nafter the reload\n");
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 3u);  // old, s_client with B, fresh
}

// tls_min_version = 1.3: s_client -tls1_2 gets a protocol_version alert and exits non-zero,
// counted; -tls1_3 is served. Without it, s_client -tls1_2 is served on TLS 1.2.
BOOST_AUTO_TEST_CASE(openssl_s_client_tls1_2_is_refused_at_min_version_1_3_and_served_by_default) {
    const std::string ca = tls_cert_dir() + "/ca.pem";
    {
        Server server(tls_args(tls_cert_dir(), {"--tls-min-version=1.3"}));
        const Run refused = run_to_end(s_client(server.port(), ca, {"-tls1_2"}), {}, 20s);
        BOOST_TEST(refused.status != 0);
        BOOST_TEST(refused.err.find("alert protocol version") != std::string::npos, refused.err);
        Interactive current(s_client(server.port(), ca, {"-tls1_3"}));
        BOOST_TEST(current.echoes("thirteen\n"), current.process().err());
        BOOST_TEST(current.finish() == 0);
        server.stop();
        BOOST_TEST(server.counter("tls_handshakes_protocol_error") == 1u);
        BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
        BOOST_TEST(server.counter("tls_connections_v1_2") == 0u);
    }
    Server server(tls_args(tls_cert_dir()));
    std::vector<std::string> brief = s_client(server.port(), ca, {"-tls1_2", "-brief"});
    Interactive old(brief);
    BOOST_TEST(old.echoes("twelve\n"), old.process().err());
    BOOST_TEST(old.finish() == 0);
    BOOST_TEST(old.process().err().find("Protocol version: TLSv1.2") != std::string::npos, old.process().err());
    server.stop();
    BOOST_TEST(server.counter("tls_connections_v1_2") == 1u);
}

// Half a ClientHello, then nothing (no FIN): the handshake has begun and stalls; closed at
// tls_handshake_timeout and counted as a timeout, not left to idle_timeout.
BOOST_AUTO_TEST_CASE(a_client_that_stops_mid_client_hello_is_closed_at_the_handshake_timeout) {
    Server server(tls_args(tls_cert_dir(), {"--tls-handshake-timeout=300ms"}));
    auto stalled = connect_to(server.port());
    send_all(stalled.get(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(peer_closed_within(stalled.get(), 5000));
    BOOST_TEST((std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250)));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_timeout") == 1u);
    BOOST_TEST(server.counter("closed_tls_error") == 1u);
}

// ncat --ssl half-closes with a bare FIN (no close_notify) at its stdin's EOF and reads on:
// 4 MiB come back whole, then the server ends the connection.
BOOST_AUTO_TEST_CASE(ncat_ssl_gets_every_byte_back_after_its_fin) {
    Server server(tls_args(tls_cert_dir()));
    TempDir files("echomux-ncat");
    const std::string sent = write_pattern_file(files.path() + "/in", 4u << 20, 7);
    const Run run = run_with_files({program("ncat"), "--ssl", "--ssl-verify", "--ssl-trustfile", tls_cert_dir() + "/ca.pem",
                                    "-4", "localhost", port_text(server.port())},
                                   files.path() + "/in", files.path() + "/out", 60s);
    BOOST_TEST(run.status == 0, run.err);
    const std::string back = read_file(files.path() + "/out");
    BOOST_TEST(back.size() == sent.size());
    BOOST_TEST(sha256_hex(back.data(), back.size()) == sha256_hex(sent.data(), sent.size()));
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// socat sends close_notify at its stdin's EOF and reads on: its lines come back exactly, and
// its final SSL_shutdown returns 1 (the server's close_notify came).
BOOST_AUTO_TEST_CASE(socat_openssl_gets_its_lines_back_and_the_servers_close_notify) {
    Server server(tls_args(tls_cert_dir()));
    const std::string lines = "socat one\nsocat two\n";
    const Run run = run_to_end({program("socat"), "-d", "-d", "-d", "-d", "-t", "30", "-T", "30", "-",
                                "OPENSSL:127.0.0.1:" + port_text(server.port()) + ",cafile=" + tls_cert_dir() +
                                    "/ca.pem,commonname=localhost"},
                               ProcessOptions{{}, {}, lines}, 60s);
    BOOST_TEST(run.status == 0, run.err);
    BOOST_TEST(run.out == lines);
    BOOST_TEST(run.err.find("SSL_shutdown() -> 1") != std::string::npos, run.err);
    server.stop();
    BOOST_TEST(server.counter("closed_eof") == 1u);
}

// openssl s_client with a client certificate, an SNI name of its own and ALPN: the greeting
// and the access log name them, the echo is exact; without a certificate it gets
// certificate_required.
BOOST_AUTO_TEST_CASE(openssl_s_client_with_sni_alpn_and_client_certificate_and_without) {
    const std::string dir = tls_cert_dir();
    Server server(tls_args(dir, {"--tls-client-auth=required", "--tls-client-ca=" + dir + "/ca.pem",
                                 "--tls-alpn=echo,h2", "--greeting=%n|%c|%v", "--access-log=on"}));
    Interactive with(s_client(server.port(), dir + "/ca.pem",
                              {"-servername", "echo.example", "-alpn", "h2,echo", "-cert", dir + "/client.pem", "-key",
                               dir + "/client.key", "-brief"}));
    BOOST_TEST(with.expect("echo.example|CN=echomux test client|TLSv1.3\n"), with.process().err());  // the greeting
    BOOST_TEST(with.echoes("mutual\n"), with.process().err());
    BOOST_TEST(with.finish() == 0);
    BOOST_TEST(with.process().out() == "echo.example|CN=echomux test client|TLSv1.3\nmutual\n");
    BOOST_TEST(server.process().wait_for_err(" sni=echo.example alpn=echo client_cert=\"CN=echomux test client\" ", 5s),
               server.process().err());

    Interactive without(s_client(server.port(), dir + "/ca.pem"));
    without.write("refused\n");
    const auto status = without.process().wait(20s);  // it ends when the server's alert comes
    BOOST_REQUIRE_MESSAGE(status, "s_client without a certificate did not end: " << without.process().err());
    BOOST_TEST(*status != 0);
    BOOST_TEST(without.process().out().empty());
    BOOST_TEST(without.process().err().find("alert certificate required") != std::string::npos, without.process().err());
    server.stop();
    BOOST_TEST(server.counter("tls_handshakes_ok") == 1u);
    BOOST_TEST(server.counter("tls_handshakes_client_cert_refused") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
