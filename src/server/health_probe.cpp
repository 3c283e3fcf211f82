// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/health_probe.hpp"

#include "echomux/util/socket_address.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace echomux {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {
constexpr auto kProbeTimeout = std::chrono::seconds(2);  // container healthchecks allow a few seconds

// Where a client reaches a server bound to `listen`: the wildcard addresses mean "every
// interface", and loopback is one of them. `::` is tried on ::1, then on 127.0.0.1: a
// dual-stack socket answers there too, and a host with IPv6 turned off has no ::1.
std::vector<boost::asio::ip::address> probe_addresses(const std::string& listen) {
    const auto address = boost::asio::ip::make_address(listen);
    if (!address.is_unspecified()) return {address};
    if (address.is_v6()) return {boost::asio::ip::address_v6::loopback(), boost::asio::ip::address_v4::loopback()};
    return {boost::asio::ip::address_v4::loopback()};
}

struct Answer {
    beast::error_code failure;
    bool connected = false;
    http::response<http::string_body> response;
};

// GET `path` on one address, within what is left of the deadline.
Answer get(const boost::asio::ip::address& address, std::uint16_t port, const std::string& path,
           std::chrono::steady_clock::time_point deadline) {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> request{http::verb::get, path, 11};
    request.set(http::field::host, describe_address(address.to_string(), port));
    request.set(http::field::connection, "close");
    Answer answer;
    stream.expires_at(deadline);
    stream.async_connect(tcp::endpoint(address, port), [&](beast::error_code ec) {
        if (ec) return void(answer.failure = ec);
        answer.connected = true;
        http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
            if (ec) return void(answer.failure = ec);
            http::async_read(stream, buffer, answer.response, [&](beast::error_code ec, std::size_t) {
                answer.failure = ec;
            });
        });
    });
    io.run();
    return answer;
}
// A 503's first line says why ("loop main/0 (epoll) has not turned for 7.3 s"), shown after
// the status, within reason: a stranger may answer on the port.
std::string reason(const std::string& body) {
    std::string line = body.substr(0, std::min(body.find('\n'), std::size_t{200}));
    if (line.empty() || line == "ok") return "";
    for (char& c : line)
        if (c < 0x20 || c > 0x7e) c = '?';
    return " (" + line + ")";
}
}  // namespace

int probe_health(const Config& config, std::ostream& out, const std::string& path) {
    if (config.metrics_port == 0) {
        out << "unhealthy: metrics_port = 0: no " << path << " to probe (set metrics_port)\n";
        return 1;
    }
    // One deadline for everything: connect, send, answer, on every address tried.
    const auto deadline = std::chrono::steady_clock::now() + kProbeTimeout;
    std::string url;
    Answer answer;
    for (const auto& address : probe_addresses(config.metrics_listen)) {
        url = "http://" + describe_address(address.to_string(), config.metrics_port) + path;
        answer = get(address, config.metrics_port, path, deadline);
        if (answer.connected) break;  // an answer, or a server that took the connection and failed
    }
    if (answer.failure) {
        out << "unhealthy: GET " << url << ": " << answer.failure.message() << "\n";
        return 1;
    }
    const unsigned status = answer.response.result_int();
    out << (status == 200 ? "healthy" : "unhealthy") << ": GET " << url << ": " << status << " "
        << answer.response.reason() << reason(answer.response.body()) << "\n";
    return status == 200 ? 0 : 1;
}

}  // namespace echomux
