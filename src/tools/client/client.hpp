// SPDX-License-Identifier: BSL-1.0
// echomux-client: the classic echo clients, and a UDP one, against any echo server.
#pragma once

#include "tools/reply_form.hpp"
#include "tools/stream.hpp"
#include "tools/tls_stream.hpp"

#include "echomux/core/echo_protocol.hpp"
#include "echomux/util/fd.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace echomux::client {

struct Options {
    std::string host = "127.0.0.1";  // a name or an IPv4/IPv6 address
    int port = 7007;
    Mode mode = Mode::echo;  // what the server is expected to send back
    std::string prefix;      // mode prefix: the text before each line (udp: before each datagram)
    std::optional<int> greeting_lines = 0;  // lines the server sends on connect; nullopt: auto (probe)
    double timeout = 5;      // seconds without progress before giving up (udp: per attempt)
    int retries = 2;         // udp: sends again after a timeout, this many times
    std::vector<std::string> texts;  // udp: datagrams to send (none: the lines of stdin)
    tools::TlsOptions tls;           // --tls and its options (TCP commands)
    std::shared_ptr<const tools::TlsContext> tls_context;  // made from `tls` once, before the command runs
};

// A wrong echo, an unreachable server, a timeout: the message is printed, exit status 1.
struct ClientError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A connection ready for the echo: connected to the first of the host's addresses that
// accepts, with send/receive timeouts of options.timeout (they bound connect too), its
// greeting read (or found by the probe, which also checks the prefix); non-blocking unless
// `blocking`.
struct Session {
    std::unique_ptr<tools::Stream> stream;
    std::vector<std::string> greeting;
    tools::ReplyForm form;  // what this connection must get back
    std::string tls;        // "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty: plaintext
};
Session open_session(const Options& options, bool blocking);
// udp: the reply to one datagram (prefix mode: the prefix once, before the whole datagram).
std::string expected_reply(const Options& options, std::string sent);
// The error for a send or recv that failed with errno while `doing` ("waiting for the
// reply"): a timeout (EAGAIN under SO_RCVTIMEO) says "timed out after N s", not
// "Resource temporarily unavailable".
ClientError io_error(const Options& options, const tools::Stream& stream, const std::string& doing);
ClientError io_error(const Options& options, const std::string& doing);  // a plain socket's errno
// Sends all of `bytes` on a blocking stream (TLS hands over a record at a time).
void send_all(const Options& options, tools::Stream& stream, const std::string& bytes);
// "0.3", "5": seconds as people write them.
std::string seconds_text(double seconds);

int two_socket(const Options& options);
int selectors_client(const Options& options);
int interactive(const Options& options);
int udp_client(const Options& options);

}  // namespace echomux::client
