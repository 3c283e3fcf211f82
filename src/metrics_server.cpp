#include "echomux/metrics_server.hpp"

#include "echomux/log.hpp"
#include "echomux/socket_address.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <thread>

namespace echomux {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

// One HTTP/1.1 connection: read a request, answer, repeat while keep-alive.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket socket, const MetricsSource& source) : stream_(std::move(socket)), source_(source) {}

    void read() {
        request_ = {};
        stream_.expires_after(std::chrono::seconds(10));  // slow or silent clients go away
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) self->respond();
        });
    }

private:
    void respond() {
        response_ = {};
        response_.version(request_.version());
        response_.keep_alive(request_.keep_alive());
        response_.set(http::field::server, "echomux");
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        const auto target = request_.target();
        if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
            response_.result(http::status::method_not_allowed);
            response_.set(http::field::allow, "GET, HEAD");
            response_.body() = "only GET\n";
        } else if (target == "/metrics") {
            response_.result(http::status::ok);
            response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response_.body() = render_metrics(source_);
        } else if (target == "/healthz") {
            const bool draining = source_.draining.load();
            response_.result(draining ? http::status::service_unavailable : http::status::ok);
            response_.body() = draining ? "draining\n" : "ok\n";
        } else {
            response_.result(http::status::not_found);
            response_.body() = "not found: try /metrics or /healthz\n";
        }
        response_.prepare_payload();
        if (request_.method() == http::verb::head) response_.body().clear();
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            if (self->response_.keep_alive()) return self->read();
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        });
    }

    beast::tcp_stream stream_;
    const MetricsSource& source_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

}  // namespace

struct MetricsServer::Impl {
    explicit Impl(MetricsSource s) : source(std::move(s)), acceptor(io) {
        const Config& c = source.shared.config;
        boost::system::error_code ec;
        const auto ip = boost::asio::ip::make_address(c.metrics_listen, ec);
        const tcp::endpoint endpoint(ip, c.metrics_port);
        address = describe_address(c.metrics_listen, c.metrics_port);
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) {
            const bool os_error = ec.category() == boost::system::system_category();
            throw std::runtime_error("cannot serve metrics on " + address + ": " + ec.message() +
                                     (os_error ? bind_error_hint(ec.value()) : ""));
        }
        accept();
        thread = std::thread([this] { io.run(); });
    }

    ~Impl() {
        boost::asio::post(io, [this] { io.stop(); });
        thread.join();
    }

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted) return;
            if (!ec) {
                std::make_shared<HttpSession>(std::move(socket), source)->read();
                return accept();
            }
            retry.expires_after(std::chrono::milliseconds(100));  // e.g. EMFILE: don't spin
            retry.async_wait([this](boost::system::error_code e) {
                if (!e) accept();
            });
        });
    }

    MetricsSource source;
    boost::asio::io_context io{1};
    tcp::acceptor acceptor;
    boost::asio::steady_timer retry{io};
    std::string address;
    std::thread thread;
};

MetricsServer::MetricsServer(MetricsSource source) : impl_(std::make_unique<Impl>(std::move(source))) {}
MetricsServer::~MetricsServer() = default;
const std::string& MetricsServer::address() const { return impl_->address; }

}  // namespace echomux
