// SPDX-License-Identifier: BSL-1.0
#include "tools/stream.hpp"

#include <sys/socket.h>

namespace echomux::tools {
namespace {

class PlainStream final : public Stream {
public:
    explicit PlainStream(Fd fd) : fd_(std::move(fd)) {}
    int fd() const override { return fd_.get(); }
    ssize_t send(const char* data, std::size_t n) override { return ::send(fd_.get(), data, n, MSG_NOSIGNAL); }
    ssize_t receive(char* data, std::size_t n) override { return ::recv(fd_.get(), data, n, 0); }
    void shutdown_write() override { ::shutdown(fd_.get(), SHUT_WR); }

private:
    Fd fd_;
};

}  // namespace

std::unique_ptr<Stream> plain_stream(Fd connected) { return std::make_unique<PlainStream>(std::move(connected)); }

}  // namespace echomux::tools
