// SPDX-License-Identifier: BSL-1.0
#include "support/net.hpp"

#include "echomux/util/socket_address.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <random>
#include <sstream>
#include <algorithm>
#include <vector>
#include <regex>
#include <thread>
#include <unistd.h>

namespace echomux::test {

void set_receive_timeout(int fd, int milliseconds) {
    timeval tv{milliseconds / 1000, (milliseconds % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

namespace {
Fd try_connect(int port, const std::string& host, int receive_buffer, int segment_bytes = 0) {
    const auto address = echomux::parse_socket_address(host, static_cast<std::uint16_t>(port));
    BOOST_REQUIRE(address);
    Fd fd(::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(fd);
    if (receive_buffer > 0)  // before connect: the window is agreed in the handshake
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    if (segment_bytes > 0) ::setsockopt(fd.get(), IPPROTO_TCP, TCP_MAXSEG, &segment_bytes, sizeof segment_bytes);
    set_receive_timeout(fd.get(), 10000);
    timeval tv{10, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), address->get(), address->length) != 0) return Fd();
    return fd;
}
}  // namespace

Fd try_connect(int port, const std::string& host) { return try_connect(port, host, 0); }

Fd connect_with_small_window(int port) { return connect_with_receive_buffer(port, 4096); }

Fd connect_with_small_window(int port, int segment_bytes) {
    Fd fd = try_connect(port, "127.0.0.1", 4096, segment_bytes);
    BOOST_REQUIRE_MESSAGE(fd, "connect to 127.0.0.1:" << port << " failed: " << std::strerror(errno));
    return fd;
}

Fd connect_with_receive_buffer(int port, int bytes) {
    Fd fd = try_connect(port, "127.0.0.1", bytes);
    BOOST_REQUIRE_MESSAGE(fd, "connect to 127.0.0.1:" << port << " failed: " << std::strerror(errno));
    return fd;
}

Fd connect_to(int port, const std::string& host) {
    Fd fd = try_connect(port, host);
    BOOST_REQUIRE_MESSAGE(fd, "connect to " << host << ":" << port << " failed: " << std::strerror(errno));
    return fd;
}

bool try_send_all(int fd, const void* data, std::size_t n) {
    auto p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t sent = ::send(fd, p, n, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        p += sent;
        n -= static_cast<std::size_t>(sent);
    }
    return true;
}

void send_all(int fd, const void* data, std::size_t n) {
    BOOST_REQUIRE_MESSAGE(try_send_all(fd, data, n), "send failed: " << std::strerror(errno));
}

void send_all(int fd, const std::string& text) { send_all(fd, text.data(), text.size()); }

std::string recv_exact(int fd, std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
}

std::string recv_until_eof(int fd, bool* clean_eof) {
    std::string out;
    char chunk[65536];
    for (;;) {
        const ssize_t r = ::recv(fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (clean_eof) *clean_eof = (r == 0);
            return out;
        }
        out.append(chunk, static_cast<std::size_t>(r));
    }
}

bool peer_closed_within(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char byte;
    const ssize_t r = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

namespace {

// `name{a="1",b="2"}` as its name and its label pairs.
std::pair<std::string, std::vector<std::string>> series(const std::string& text) {
    const auto brace = text.find('{');
    std::vector<std::string> labels;
    if (brace == std::string::npos) return {text, labels};
    const std::string inside = text.substr(brace + 1, text.rfind('}') - brace - 1);
    // Label values here hold no commas: split on them.
    std::istringstream pairs(inside);
    for (std::string pair; std::getline(pairs, pair, ',');) labels.push_back(pair);
    return {text.substr(0, brace), labels};
}

}  // namespace

long long metric_sample(const std::string& page, const std::string& name) {
    const auto [wanted_name, wanted_labels] = series(name);
    std::istringstream lines(page);
    long long sum = -1;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto blank = line.rfind(' ');
        const auto [sample_name, labels] = series(line.substr(0, blank));
        if (sample_name != wanted_name) continue;
        const bool all = std::all_of(wanted_labels.begin(), wanted_labels.end(), [&labels = labels](const auto& l) {
            return std::find(labels.begin(), labels.end(), l) != labels.end();
        });
        if (!all) continue;
        const std::string value = line.substr(blank + 1);
        if (value.find_first_not_of("0123456789") != std::string::npos) continue;  // not a count
        sum = (sum < 0 ? 0 : sum) + std::stoll(value);
    }
    return sum;
}

long long wait_for_metric(int port, const std::string& name, const std::function<bool(long long)>& done,
                          int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    long long value = metric_sample(http_get(port, "/metrics").body, name);
    while (!done(value) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling period, not a wait for something
        value = metric_sample(http_get(port, "/metrics").body, name);
    }
    return value;
}

void reset(Fd& fd) {
    linger l{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    fd.reset();
}

std::string address_of(int fd, bool peer) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (peer) ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len);
    else ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

Fd listen_on_loopback(int& port) {
    Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    BOOST_REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(listener.get(), 64) == 0);
    BOOST_REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    return listener;
}

int free_port() {
    // Below the kernel's ephemeral range (32768 and up here), so no connect() elsewhere
    // can take it before the server under test binds it.
    static std::mt19937 pick(static_cast<unsigned>(::getpid()));
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int port = 20000 + static_cast<int>(pick() % 12000);
        Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return port;
    }
    BOOST_FAIL("no free port found");
    return 0;
}

HttpReply http_get(int port, const std::string& path) {
    HttpReply reply;
    Fd fd = try_connect(port);
    if (!fd) return reply;
    send_all(fd.get(), "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n");
    const std::string text = recv_until_eof(fd.get());
    if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12) return reply;
    reply.status = std::stoi(text.substr(9, 3));
    const auto body = text.find("\r\n\r\n");
    if (body != std::string::npos) reply.body = text.substr(body + 4);
    return reply;
}

std::vector<unsigned char> random_bytes(std::size_t n, std::uint64_t seed) {
    std::vector<unsigned char> out(n);
    PatternStream(seed).fill(out.data(), n);
    return out;
}

std::string sha256_hex(const void* data, std::size_t n) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    BOOST_REQUIRE(EVP_Digest(data, n, digest, &length, EVP_sha256(), nullptr) == 1);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

void PatternStream::fill(unsigned char* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (left_ == 0) {  // xorshift64: fast, and a different stream per seed
            state_ ^= state_ << 13;
            state_ ^= state_ >> 7;
            state_ ^= state_ << 17;
            word_ = state_;
            left_ = 8;
        }
        out[i] = static_cast<unsigned char>(word_);
        word_ >>= 8;
        --left_;
    }
}

}  // namespace echomux::test
