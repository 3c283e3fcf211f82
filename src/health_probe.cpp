#include "echomux/health_probe.hpp"

#include "echomux/socket_address.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>

namespace echomux {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {
constexpr auto kProbeTimeout = std::chrono::seconds(2);  // container healthchecks allow a few seconds

// Where a client reaches a server bound to `listen`: the wildcard addresses mean "every
// interface", and loopback is one of them.
boost::asio::ip::address probe_address(const std::string& listen) {
    const auto address = boost::asio::ip::make_address(listen);
    if (!address.is_unspecified()) return address;
    if (address.is_v6()) return boost::asio::ip::address_v6::loopback();
    return boost::asio::ip::address_v4::loopback();
}
}  // namespace

int probe_health(const Config& config, std::ostream& out) {
    if (config.metrics_port == 0) {
        out << "unhealthy: metrics_port = 0: no /healthz to probe (set metrics_port)\n";
        return 1;
    }
    const auto address = probe_address(config.metrics_listen);
    const std::string url = "http://" + describe_address(address.to_string(), config.metrics_port) + "/healthz";

    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> request{http::verb::get, "/healthz", 11};
    request.set(http::field::host, describe_address(address.to_string(), config.metrics_port));
    request.set(http::field::connection, "close");
    http::response<http::string_body> response;
    beast::error_code failure;

    // One deadline for the whole exchange: connect, send, answer.
    stream.expires_after(kProbeTimeout);
    stream.async_connect(tcp::endpoint(address, config.metrics_port), [&](beast::error_code ec) {
        if (ec) return void(failure = ec);
        http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
            if (ec) return void(failure = ec);
            http::async_read(stream, buffer, response, [&](beast::error_code ec, std::size_t) { failure = ec; });
        });
    });
    io.run();

    if (failure) {
        out << "unhealthy: GET " << url << ": " << failure.message() << "\n";
        return 1;
    }
    const unsigned status = response.result_int();
    out << (status == 200 ? "healthy" : "unhealthy") << ": GET " << url << ": " << status << " " << response.reason()
        << "\n";
    return status == 200 ? 0 : 1;
}

}  // namespace echomux
