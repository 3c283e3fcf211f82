// SPDX-License-Identifier: BSL-1.0
#include "support/backends.hpp"

#include <sstream>

namespace echomux::test {

const std::vector<std::string>& all_backends() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        std::istringstream joined(ECHOMUX_TEST_BACKENDS);  // "asio,epoll-level,..."
        for (std::string name; std::getline(joined, name, ',');) list.push_back(name);
        return list;
    }();
    return names;
}

}  // namespace echomux::test
