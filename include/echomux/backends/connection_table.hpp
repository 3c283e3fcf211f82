// SPDX-License-Identifier: BSL-1.0
// A loop's connections, owned and found by descriptor (the kernel hands out the lowest free
// one, so the table stays as dense as the connections are many).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace echomux {

template <class Connection>
class ConnectionTable {
public:
    Connection& put(int fd, std::unique_ptr<Connection> connection) {
        if (static_cast<std::size_t>(fd) >= slots_.size()) slots_.resize(static_cast<std::size_t>(fd) + 1);
        slots_[static_cast<std::size_t>(fd)] = std::move(connection);
        return *slots_[static_cast<std::size_t>(fd)];
    }
    std::unique_ptr<Connection> take(int fd) { return std::move(slots_[static_cast<std::size_t>(fd)]); }
    Connection* find(int fd) const {
        return static_cast<std::size_t>(fd) < slots_.size() ? slots_[static_cast<std::size_t>(fd)].get() : nullptr;
    }

private:
    std::vector<std::unique_ptr<Connection>> slots_;
};

}  // namespace echomux
