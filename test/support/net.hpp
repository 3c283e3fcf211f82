// SPDX-License-Identifier: BSL-1.0
// Test helper: blocking loopback client sockets with timeouts, so a broken server makes
// a test fail instead of hang.
#pragma once

#include "echomux/util/fd.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace echomux::test {

// Connected TCP socket with 10 s send/receive timeouts. Fails the test if it can't connect.
Fd connect_to(int port, const std::string& host = "127.0.0.1");
// Same, with a small fixed receive buffer (no autotuning): the server's sends to it go
// short after a few KiB instead of after megabytes.
Fd connect_with_small_window(int port);
// ...and segments of at most `segment_bytes` (TCP_MAXSEG, before connect): the server's
// send buffer, which the kernel sizes from the segment size, stays small too.
Fd connect_with_small_window(int port, int segment_bytes);
// The same with a receive buffer of `bytes`, set before connect.
Fd connect_with_receive_buffer(int port, int bytes);
// Same, but returns an empty Fd instead of failing.
Fd try_connect(int port, const std::string& host = "127.0.0.1");

void send_all(int fd, const void* data, std::size_t n);
// The same without Boost.Test assertions (they are not thread-safe): for worker threads,
// whose result the test's own thread asserts.
bool try_send_all(int fd, const void* data, std::size_t n);
void send_all(int fd, const std::string& text);
// Exactly n bytes, or fewer if the peer closes or the timeout passes.
std::string recv_exact(int fd, std::size_t n);
// Everything until EOF (or a reset/timeout); sets `clean_eof` when the peer closed with FIN.
std::string recv_until_eof(int fd, bool* clean_eof = nullptr);
// True if the peer has closed (FIN or RST) within `timeout_ms`, without consuming data.
bool peer_closed_within(int fd, int timeout_ms);

void set_receive_timeout(int fd, int milliseconds);

// "127.0.0.1:40312": our end of the IPv4 socket `fd` (peer = false), or the other end;
// how the server names this client (or itself) in %p, %l and the access log.
std::string address_of(int fd, bool peer = false);

// A port nobody listens on right now (bound to port 0 and released).
int free_port();

// A socket listening on 127.0.0.1 at a port the kernel picked, stored in `port`: for
// servers written in a test.
Fd listen_on_loopback(int& port);

struct HttpReply {
    int status = 0;
    std::string body;
};
// GET over HTTP/1.0 on 127.0.0.1; status 0 if no well-formed reply came.
HttpReply http_get(int port, const std::string& path);
// A sample in a Prometheus text page: "x_total" or "x_total{reason=\"y\"}" is the sum of
// every x_total series with at least those labels (each listener has its own series:
// add listener=\"main\" for one); -1 if none.
long long metric_sample(const std::string& page, const std::string& name);
// Polls /metrics until `name` satisfies `done` or `timeout_ms` pass; returns the last value.
long long wait_for_metric(int port, const std::string& name, const std::function<bool(long long)>& done,
                          int timeout_ms = 5000);

// Abortive close: the peer sees a reset.
void reset(Fd& fd);

std::vector<unsigned char> random_bytes(std::size_t n, std::uint64_t seed);
std::string sha256_hex(const void* data, std::size_t n);

// Deterministic byte stream for transfers too big to keep in memory.
class PatternStream {
public:
    explicit PatternStream(std::uint64_t seed) : state_(seed | 1) {}
    void fill(unsigned char* out, std::size_t n);

private:
    std::uint64_t state_;
    std::uint64_t word_ = 0;
    int left_ = 0;
};

}  // namespace echomux::test
