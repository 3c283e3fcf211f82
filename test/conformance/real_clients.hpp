// SPDX-License-Identifier: BSL-1.0
// What the TLS real-client tests drive: openssl s_client, ncat, socat and Python's ssl found
// on PATH (a missing one fails the test, saying how to get it), an interactive client on a
// FIFO, and the Python clients' scripts.
#pragma once

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


namespace echomux::test::real_clients {

using namespace std::chrono_literals;

// A client program by name, from PATH (Process does not search it): a test fails, saying how
// to get it, where it is missing.
inline std::string program(const std::string& name) {
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
inline std::string python() { return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : program("python3"); }

inline std::vector<std::string> tls_args(const std::string& dir, std::vector<std::string> more = {}) {
    more.push_back("--tls-cert=" + dir + "/server.pem");
    more.push_back("--tls-key=" + dir + "/server.key");
    return more;
}

inline std::string port_text(int port) { return std::to_string(port); }

// Polls `p`'s stdout (a real client's) for `text` until `timeout` or its exit.
inline bool wait_for_out(Process& p, const std::string& text, std::chrono::milliseconds timeout) {
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
inline std::vector<std::string> s_client(int port, const std::string& ca, std::vector<std::string> more = {}) {
    std::vector<std::string> argv = {program("openssl"), "s_client", "-quiet", "-no_ign_eof", "-verify_return_error",
                                     "-CAfile", ca, "-connect", "localhost:" + port_text(port)};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
}

// A program with stdin from `in` and stdout to `out` (files: megabytes do not fit a pipe
// written before the child reads).
inline Run run_with_files(const std::vector<std::string>& argv, const std::string& in, const std::string& out,
                   std::chrono::milliseconds timeout) {
    std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$@\" <\"$TLS_CLIENT_IN\" >\"$TLS_CLIENT_OUT\"", "sh"};
    sh.insert(sh.end(), argv.begin(), argv.end());
    return run_to_end(sh, ProcessOptions{{{"TLS_CLIENT_IN", in}, {"TLS_CLIENT_OUT", out}}, {}, {}}, timeout);
}

inline std::string write_pattern_file(const std::string& path, std::size_t size, std::uint64_t seed) {
    const auto bytes = random_bytes(size, seed);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return std::string(bytes.begin(), bytes.end());
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Python's ssl over memory BIOs, one thread, non-blocking: sends SIZE bytes while reading
// what comes back, then its close_notify (half-close; it reads on), then reads until the
// server's close_notify ("clean"; a bare EOF is an error). Prints sizes and SHA-256s of both ways.
// (SSLSocket.unwrap() reads on in SSL_shutdown, which discards the echo still to come.)
inline const char* const kPythonHalfClose = R"PY(
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
inline const char* const kPythonConcurrent = R"PY(
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


}  // namespace echomux::test::real_clients
