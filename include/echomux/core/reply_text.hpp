// SPDX-License-Identifier: BSL-1.0
// The texts a server can add to what it echoes, to say who answered and whom it saw:
// `greeting` (one line on connect) and `prefix` (before each line in mode = prefix).
// ${NAME} is taken from the environment once, at start (${HOSTNAME} falls back to
// gethostname(), as shells do not always export it); %p (the client's address), %l (the
// address it connected to), under TLS %n (the SNI name it sent), %v (the version) and %c
// (its certificate's subject), and %% are filled in per connection.
#pragma once

#include "echomux/core/transport.hpp"

#include <optional>
#include <string>

namespace echomux {

class ReplyText {
public:
    ReplyText() = default;
    // `text` must be valid (see check_reply_text).
    explicit ReplyText(const std::string& text);

    bool empty() const { return text_.empty(); }
    // Whether the text names anything of the connection's (%p, %l, %n, %v, %c), so fill() needs it.
    bool per_connection() const { return per_connection_; }
    // The text for a client at `who.peer` that reached `who.local` ("1.2.3.4:5",
    // "[::1]:7007"): a TCP peer, the client a PROXY header names, or a datagram's sender.
    std::string fill(const Endpoints& who) const;
    std::string fill(const std::string& client, const std::string& local) const;  // no TLS

private:
    std::string text_;  // environment already filled in; %p, %l, %% left
    bool per_connection_ = false;
};

// What is wrong with `text` as a reply text, or nullopt: an unterminated ${, an empty or
// malformed name, % followed by anything but p, l, n, v, c or %, a control character.
std::optional<std::string> check_reply_text(const std::string& text);

}  // namespace echomux
