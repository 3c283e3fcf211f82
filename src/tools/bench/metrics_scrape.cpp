// SPDX-License-Identifier: BSL-1.0
#include "metrics_scrape.hpp"

#include "tools/reach_host.hpp"

#include "echomux/util/printable.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <netinet/in.h>

#include <chrono>
#include <cstring>
#include <regex>
#include <stdexcept>

namespace echomux::bench {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

MetricsScrape::MetricsScrape(const std::string& url) : url_(url) {
    static const std::regex shape(R"(http://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})(/[!-~]*)?)");
    std::smatch m;
    const int port = std::regex_match(url, m, shape) ? std::stoi(m[2]) : 0;
    if (port < 1 || port > 65535)
        throw std::runtime_error("--metrics-url must be http://HOST:PORT/PATH, e.g. http://127.0.0.1:9100/metrics; got '" +
                                 printable(url) + "'");
    host_ = m[1];
    port_ = static_cast<unsigned short>(port);
    target_ = m[3].matched ? std::string(m[3]) : "/metrics";
}

std::string MetricsScrape::page(double timeout_s) const {
    const auto fail = [&](const std::string& why) { return std::runtime_error("--metrics-url " + url_ + ": " + why); };
    const auto addresses = tools::resolve_host(host_, port_, SOCK_STREAM);
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> request{http::verb::get, target_, 11};
    request.set(http::field::host, host_ + ":" + std::to_string(port_));
    request.set(http::field::connection, "close");
    http::response_parser<http::string_body> parser;
    parser.body_limit(8 << 20);  // a /metrics page, not anything a stranger cares to send
    beast::error_code failure;
    // One deadline for connect, request and answer.
    stream.expires_after(std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
    std::vector<tcp::endpoint> endpoints;
    for (const SocketAddress& a : addresses) {
        tcp::endpoint e;
        std::memcpy(e.data(), a.get(), a.length);
        e.resize(a.length);
        endpoints.push_back(e);
    }
    stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
        if (ec) return void(failure = ec);
        http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
            if (ec) return void(failure = ec);
            http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) { failure = ec; });
        });
    });
    io.run();
    if (failure) throw fail(failure == beast::error::timeout ? "no answer within " + std::to_string(timeout_s).substr(0, 3) + " s"
                                                            : failure.message());
    const auto& response = parser.get();
    if (response.result_int() != 200) throw fail("HTTP " + std::to_string(response.result_int()));
    return response.body();
}

double MetricsScrape::sample(const std::string& name, const Labels& subset, double timeout_s) const {
    if (const auto sum = sum_of_series(page(timeout_s), name, subset)) return *sum;
    std::string which = name;
    for (const auto& [key, value] : subset) which += (which == name ? "{" : ",") + key + "=\"" + value + "\"";
    throw std::runtime_error("--metrics-url " + url_ + ": no " + which + (subset.empty() ? "" : "}") + " on the page");
}

}  // namespace echomux::bench
