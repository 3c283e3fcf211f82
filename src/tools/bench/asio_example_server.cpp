// SPDX-License-Identifier: BSL-1.0
// Boost.Asio's textbook echo server (the cpp11/echo/async_tcp_echo_server example's shape:
// a session with char data_[1024], async_read_some -> async_write -> repeat), kept as a
// second floor for scripts/cpu-per-request.sh: echomux's asio backend should cost no more
// than the example it builds on. Benchmark only; listens on 127.0.0.1.
// Usage: echomux-asio-example-server PORT
#include <boost/asio.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <utility>

using boost::asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)) {}
    void start() { do_read(); }

private:
    void do_read() {
        auto self(shared_from_this());
        socket_.async_read_some(boost::asio::buffer(data_, max_length),
                                [this, self](boost::system::error_code ec, std::size_t length) {
                                    if (!ec) do_write(length);
                                });
    }

    void do_write(std::size_t length) {
        auto self(shared_from_this());
        boost::asio::async_write(socket_, boost::asio::buffer(data_, length),
                                 [this, self](boost::system::error_code ec, std::size_t) {
                                     if (!ec) do_read();
                                 });
    }

    tcp::socket socket_;
    enum { max_length = 1024 };
    char data_[max_length];
};

class server {
public:
    server(boost::asio::io_context& io_context, unsigned short port)
        : acceptor_(io_context, tcp::endpoint(boost::asio::ip::address_v4::loopback(), port)) {
        do_accept();
    }

private:
    void do_accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (!ec) std::make_shared<session>(std::move(socket))->start();
            do_accept();
        });
    }

    tcp::acceptor acceptor_;
};

int main(int argc, char* argv[]) {
    try {
        if (argc != 2) {
            std::cerr << "usage: " << argv[0] << " PORT\n";
            return 2;
        }
        boost::asio::io_context io_context;
        server s(io_context, static_cast<unsigned short>(std::atoi(argv[1])));
        io_context.run();
    } catch (const std::exception& e) {
        std::cerr << "echomux-asio-example-server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
