// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/metrics_server.hpp"

#include "echomux/util/log.hpp"
#include "echomux/util/socket_address.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <list>
#include <optional>
#include <string_view>
#include <thread>

namespace echomux {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Anyone who can reach the port can talk to this endpoint, so every session is bounded:
// at most kHeaderLimit bytes buffered, no request body, and a fixed deadline per phase.
constexpr std::size_t kHeaderLimit = 8 * 1024;  // request line + fields; a probe sends ~100 bytes
constexpr std::size_t kFirstRead = 512;         // a waiting session holds no more than this
constexpr auto kIdleTimeout = std::chrono::seconds(10);     // waiting for a request's first byte
constexpr auto kRequestTimeout = std::chrono::seconds(5);   // first byte to end of header, in total
constexpr auto kWriteTimeout = std::chrono::seconds(5);     // a client that does not read its answer
constexpr auto kLingerTimeout = std::chrono::seconds(2);    // closing: let the client read the answer
// A connection is handed to accept() only once it has sent something (or after about this
// long): silent connections wait in the kernel and take no session (nginx's `deferred`).
constexpr int kDeferAcceptSeconds = 1;
using DeferAccept = boost::asio::detail::socket_option::integer<IPPROTO_TCP, TCP_DEFER_ACCEPT>;
// At the cap, how long each phase may last before its session is the first to give way. A
// probe sends its request at once, in one segment, and reads its answer at once; what takes
// longer is a slow or hostile client, which should yield to it (issue 26).
constexpr auto kRequestGrace = std::chrono::seconds(1);         // connected (or answered), nothing sent
constexpr auto kHeaderGrace = std::chrono::milliseconds(250);   // a request begun and not finished
constexpr auto kAnswerGrace = std::chrono::seconds(1);          // an answer the client does not take
constexpr auto kEvictionLogEvery = std::chrono::seconds(1);

class HttpSession;

// Who gives way first at the cap, lowest first: (still wanted?, when it should have moved on).
using EvictionRank = std::pair<bool, SteadyClock::time_point>;

// The open sessions of one endpoint, oldest first. Only the endpoint's thread touches it.
struct Sessions {
    std::list<HttpSession*> open;
    EndpointStats stats;
    std::array<char, 4096> discard;  // input read only to be dropped, while closing
};

// One HTTP/1.1 connection: wait for a request, read it, answer, repeat while keep-alive;
// after a final answer (an error, Connection: close, HTTP/1.0), close without a reset.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    // What the session waits for.
    enum class Phase { lingering, waiting, reading, writing };

    HttpSession(tcp::socket socket, const MetricsSource& source, Sessions& sessions)
        : stream_(std::move(socket)), source_(source), sessions_(sessions) {
        position_ = sessions_.open.insert(sessions_.open.end(), this);
    }
    ~HttpSession() { close(); }

    void start() { wait_for_request(); }

    // Leaves the table and closes the socket; pending operations then end this session.
    void close() {
        if (!open_) return;
        open_ = false;
        sessions_.open.erase(position_);
        stream_.close();
    }

    // At the cap, who gives way first (the lowest rank): a session gone anyway (closing, or
    // its client left), then the one most overdue in its phase (its grace ended longest ago).
    // nullopt: never this one, a request is in flight. With `ask_kernel`, a session still
    // waiting is judged by what its socket holds that the loop has not read yet: a whole
    // request header (in flight: a probe that sent is kept), part of one (as if reading),
    // or the client's FIN.
    std::optional<EvictionRank> eviction_rank(SteadyClock::time_point now, bool ask_kernel) {
        switch (phase_) {
            case Phase::lingering: return EvictionRank(false, since_);
            case Phase::waiting:
                if (ask_kernel) {
                    std::array<char, kFirstRead> head;
                    const ssize_t n = ::recv(stream_.socket().native_handle(), head.data(), head.size(),
                                             MSG_PEEK | MSG_DONTWAIT);
                    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return EvictionRank(false, since_);
                    if (n > 0 && std::string_view(head.data(), n).find("\r\n\r\n") != std::string_view::npos)
                        return std::nullopt;
                    if (n > 0) return EvictionRank(true, since_ + kHeaderGrace);
                }
                return EvictionRank(true, since_ + kRequestGrace);
            case Phase::reading: return EvictionRank(true, since_ + kHeaderGrace);
            case Phase::writing:
                if (since_ + kAnswerGrace > now) return std::nullopt;
                return EvictionRank(true, since_ + kAnswerGrace);
        }
        return std::nullopt;
    }

private:
    void enter(Phase phase) {
        phase_ = phase;
        since_ = SteadyClock::now();
    }

    void wait_for_request() {
        enter(Phase::waiting);
        response_ = {};
        if (buffer_.size() > 0) return read_request();  // pipelined: the next request is here
        buffer_.shrink_to_fit();  // between requests a session holds no buffer
        stream_.expires_after(kIdleTimeout);
        stream_.async_read_some(buffer_.prepare(kFirstRead),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec || !self->open_) return;
                                    self->buffer_.commit(n);
                                    self->read_request();
                                });
    }

    void read_request() {
        enter(Phase::reading);
        // One deadline for the whole request, not per read: a byte a second does not extend it.
        stream_.expires_after(kRequestTimeout);
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        // The header only: a body is never read, whatever its declared size, so the method
        // decides the answer (405 for a POST, 413 for a GET with a body), not the body.
        parser_->body_limit(boost::none);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (!open_) return;
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return fail(http::status::request_header_fields_too_large, "request header over 8 KiB\n");
        if (ec == http::error::end_of_stream || ec == http::error::partial_message) return;  // the client left
        if (ec.category() == http::make_error_code(http::error::bad_target).category())
            return fail(http::status::bad_request, "not an HTTP/1.x request\n");
        if (ec) return;  // timeout (the stream closed itself), reset, ...
        const auto& request = parser_->get();
        // RFC 9112 section 3.2: an HTTP/1.1 request with no Host, or more than one, is a 400.
        if (request.version() >= 11 && request.count(http::field::host) != 1)
            return fail(http::status::bad_request, "HTTP/1.1 needs exactly one Host header\n");
        const bool has_body = parser_->chunked() || parser_->content_length().value_or(0) > 0;
        const bool readable = request.method() == http::verb::get || request.method() == http::verb::head;
        if (has_body && readable) return fail(http::status::payload_too_large, "no request body, please\n");
        respond(request, !has_body);  // a body left unread ends the connection after the answer
    }

    // Absolute-form targets ("http://host:port/metrics") name the path after the authority;
    // the query string does not select anything here.
    static beast::string_view path_of(beast::string_view target) {
        const auto scheme = target.find("://");
        if (scheme != beast::string_view::npos && target.substr(0, 1) != "/") {
            const auto path = target.find('/', scheme + 3);
            target = path == beast::string_view::npos ? beast::string_view("/") : target.substr(path);
        }
        return target.substr(0, target.find_first_of("?#"));
    }

    void respond(const http::request<http::empty_body>& request, bool can_continue) {
        response_.version(request.version());
        response_.keep_alive(request.keep_alive() && can_continue);
        response_.set(http::field::server, "echomux");
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        const auto path = path_of(request.target());
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            response_.result(http::status::method_not_allowed);
            response_.set(http::field::allow, "GET, HEAD");
            response_.body() = "only GET and HEAD\n";
        } else if (path == "/metrics") {
            response_.result(http::status::ok);
            response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response_.body() = render_metrics(source_, sessions_.stats);
        } else if (path == "/healthz" || path == "/readyz") {  // readiness: take no new clients here
            // A wedged loop fails readiness too: the clients the kernel hands it would hang, so
            // a balancer should send them elsewhere until liveness has it restarted.
            const bool stopping = source_.stopping.load();
            const auto wedged = stopping || !source_.loops ? std::optional<std::string>() : source_.loops->wedged();
            response_.result(stopping || wedged ? http::status::service_unavailable : http::status::ok);
            response_.body() = wedged      ? *wedged + "\n"
                               : !stopping ? "ok\n"
                               : source_.draining.load() ? "draining\n"
                                                         : "shutting down\n";
        } else if (path == "/livez") {  // liveness: every event loop turns (a drain is no failure)
            const auto wedged = source_.loops ? source_.loops->wedged() : std::optional<std::string>();
            response_.result(wedged ? http::status::service_unavailable : http::status::ok);
            response_.body() = wedged ? *wedged + "\n" : "ok\n";
        } else {
            response_.result(http::status::not_found);
            response_.body() = "not found: try /metrics, /healthz, /readyz or /livez\n";
        }
        response_.prepare_payload();
        if (request.method() == http::verb::head) response_.body().clear();  // Content-Length stays
        write();
    }

    // An answer to a request that could not be read whole: the connection cannot continue.
    void fail(http::status status, const char* reason) {
        ++sessions_.stats.refused;
        response_ = {};
        response_.version(11);
        response_.keep_alive(false);
        response_.result(status);
        response_.set(http::field::server, "echomux");
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        response_.body() = reason;
        response_.prepare_payload();
        buffer_.clear();
        write();
    }

    void write() {
        enter(Phase::writing);
        stream_.expires_after(kWriteTimeout);
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !self->open_) return;
            if (self->response_.keep_alive()) return self->wait_for_request();
            self->linger();
        });
    }

    // Closing while the client still sends (the rest of a refused body, pipelined requests)
    // would reset the connection and could destroy the answer before it is read. Send FIN,
    // then drop input until the client closes too, for a bounded time.
    void linger() {
        enter(Phase::lingering);
        response_ = {};
        buffer_.clear();
        buffer_.shrink_to_fit();
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(kLingerTimeout);
        discard();
    }

    void discard() {
        stream_.async_read_some(boost::asio::buffer(sessions_.discard),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (!ec && self->open_) self->discard();
                                });
    }

    beast::tcp_stream stream_;
    const MetricsSource& source_;
    Sessions& sessions_;
    std::list<HttpSession*>::iterator position_;
    bool open_ = true;
    Phase phase_ = Phase::waiting;
    SteadyClock::time_point since_ = SteadyClock::now();
    beast::flat_buffer buffer_{kHeaderLimit};  // its limit: a request never takes more
    std::optional<http::request_parser<http::empty_body>> parser_;
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
        // Each step only if all before it succeeded: a bad address must not become 0.0.0.0.
        if (!ec) acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor.set_option(DeferAccept(kDeferAcceptSeconds), ec);
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
                const bool full = sessions.open.size() >= source.shared.config.metrics_max_connections;
                if (!full || make_room()) std::make_shared<HttpSession>(std::move(socket), source, sessions)->start();
                return accept();
            }
            retry.expires_after(std::chrono::milliseconds(100));  // e.g. EMFILE: don't spin
            retry.async_wait([this](boost::system::error_code e) {
                if (!e) accept();
            });
        });
    }

    // At the cap a newcomer is served and an open session gives way, chosen by what it has
    // done (HttpSession::eviction_rank): one gone anyway, else the one most overdue, so silent,
    // trickling or non-reading clients cannot push out a probe that sent its request. Only
    // when every session is within its grace (a burst of connections) is each waiting socket
    // asked what it holds: a syscall per session, paid only then. False, and the newcomer is
    // the one closed, while every session has a request in flight.
    bool make_room() {
        const auto now = SteadyClock::now();
        auto victim = most_overdue(now, false);
        const bool within_grace = !victim || (victim->second.first && victim->second.second > now);
        if (within_grace) victim = most_overdue(now, true);
        if (victim) victim->first->close();
        ++sessions.stats.evicted;
        ++evicted;
        if (now - last_eviction_log >= kEvictionLogEvery) {
            log::warn("metrics_max_connections (", source.shared.config.metrics_max_connections,
                      ") reached: closed the connection most overdue (silent, trickling or not reading; ", evicted,
                      " time(s) since last report)");
            last_eviction_log = now;
            evicted = 0;
        }
        return victim.has_value();
    }

    // The session that gives way first and its rank; nullopt when every one is answering.
    std::optional<std::pair<HttpSession*, EvictionRank>> most_overdue(SteadyClock::time_point now, bool ask_kernel) {
        std::optional<std::pair<HttpSession*, EvictionRank>> victim;
        for (HttpSession* s : sessions.open) {
            const auto rank = s->eviction_rank(now, ask_kernel);
            if (rank && (!victim || *rank < victim->second)) victim = std::pair(s, *rank);
        }
        return victim;
    }

    MetricsSource source;
    Sessions sessions;  // before io: sessions still owned by io's handlers leave it as io ends
    boost::asio::io_context io{1};
    tcp::acceptor acceptor;
    boost::asio::steady_timer retry{io};
    std::string address;
    std::uint64_t evicted = 0;
    SteadyClock::time_point last_eviction_log{};
    std::thread thread;
};

MetricsServer::MetricsServer(MetricsSource source) : impl_(std::make_unique<Impl>(std::move(source))) {}
MetricsServer::~MetricsServer() = default;
const std::string& MetricsServer::address() const { return impl_->address; }

}  // namespace echomux
