// SPDX-License-Identifier: BSL-1.0
#include "tools/stream.hpp"

#include <sys/socket.h>

#include <cstring>

namespace echomux::tools {

std::string Stream::why(int error) const { return std::strerror(error); }

namespace {

class PlainStream final : public Stream {
public:
    explicit PlainStream(Fd fd) : fd_(std::move(fd)) {}
    int fd() const override { return fd_.get(); }
    ssize_t send(const char* data, std::size_t n) override {
        wait_ = Wait::write;
        return ::send(fd_.get(), data, n, MSG_NOSIGNAL);
    }
    ssize_t receive(char* data, std::size_t n) override {
        wait_ = Wait::read;
        return ::recv(fd_.get(), data, n, 0);
    }
    void shutdown_write() override { ::shutdown(fd_.get(), SHUT_WR); }
    Wait waits_for() const override { return wait_; }

private:
    Fd fd_;
    Wait wait_ = Wait::read;
};

}  // namespace

std::unique_ptr<Stream> plain_stream(Fd connected) { return std::make_unique<PlainStream>(std::move(connected)); }

}  // namespace echomux::tools
