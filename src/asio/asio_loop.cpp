#include "echomux/asio/asio_loop.hpp"

#include "echomux/asio/asio_session.hpp"
#include "echomux/log.hpp"

#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace echomux::asio {

using boost::asio::ip::tcp;

namespace {
tcp protocol_of(int fd) {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
    return s.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}
}  // namespace

AsioLoop::AsioLoop(SharedState& shared, Fd listener)
    : service_(shared, *this), acceptor_(io_), protocol_(protocol_of(listener.get())), tick_timer_(io_) {
    acceptor_.assign(protocol_, listener.release());
}

void AsioLoop::run() {
    wait_for_accept();
    schedule_tick();
    io_.run();
}

void AsioLoop::request_drain() {
    boost::asio::post(io_, [this] {
        service_.begin_drain();
        tick_timer_.cancel();  // tick at the drain's pace from now on, to notice when it is done
        schedule_tick();
    });
}

void AsioLoop::wait_for_accept() {
    if (accept_armed_ || !accepting_) return;
    accept_armed_ = true;
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](const boost::system::error_code& ec) {
        accept_armed_ = false;
        if (!ec) on_accept();
    });
}

void AsioLoop::on_accept() {
    if (!accepting_) return;
    if (service_.on_accept(acceptor_.native_handle())) {
        boost::asio::post(io_, [this] { on_accept(); });  // more may be waiting: edge won't repeat
        return;
    }
    wait_for_accept();
}

void AsioLoop::adopt(int fd) {
    tcp::socket socket(io_);
    boost::system::error_code ec;
    socket.assign(protocol_, fd, ec);
    if (ec) {
        ::close(fd);
        throw boost::system::system_error(ec, "assign");
    }
    std::make_shared<AsioSession>(service_, std::move(socket))->start();
}

void AsioLoop::watch_listener(bool watch) {
    accepting_ = watch;
    if (watch) boost::asio::post(io_, [this] { on_accept(); });
}

void AsioLoop::close_listener() {
    accepting_ = false;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void AsioLoop::schedule_tick() {
    tick_timer_.expires_after(std::chrono::milliseconds(service_.tick_interval_ms()));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        service_.tick();
        if (!service_.finished()) schedule_tick();  // when finished, io_.run() runs out of work
    });
}

}  // namespace echomux::asio
