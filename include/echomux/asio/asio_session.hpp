// One connection on the Asio backend: owns the socket, turns Connection's interest into
// async_wait operations and their completions into on_read / on_write.
#pragma once

#include "echomux/connection.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace echomux::asio {

class AsioSession final : public Connection, public std::enable_shared_from_this<AsioSession> {
public:
    AsioSession(Service& service, boost::asio::ip::tcp::socket socket);
    void start() { watch(); }

private:
    void watch();  // arm the waits interest() asks for
    template <class Callback>
    void on_ready(const boost::system::error_code& ec, Callback callback);
    void follow(Next next);
    void release() override;
    void call_soon() override;

    boost::asio::ip::tcp::socket socket_;
    bool read_armed_ = false;
    bool write_armed_ = false;
};

}  // namespace echomux::asio
