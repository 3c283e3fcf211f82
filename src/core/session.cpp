// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/session.hpp"

#include "echomux/core/connection.hpp"
#include "echomux/core/tls_connection.hpp"

namespace echomux {

std::unique_ptr<Session> make_session(Service& service, Transport& transport) {
    if (const auto& tls = service.tls()) return std::make_unique<TlsConnection>(service, transport, tls);
    return std::make_unique<Connection>(service, transport);
}

}  // namespace echomux
