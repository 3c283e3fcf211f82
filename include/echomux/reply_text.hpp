// The texts a server can add to what it echoes, to say who answered and whom it saw:
// `greeting` (one line on connect) and `prefix` (before each line in mode = prefix).
// ${NAME} is taken from the environment once, at start (${HOSTNAME} falls back to
// gethostname(), as shells do not always export it); %p (the client's address), %l (the
// address it connected to) and %% are filled in per connection.
#pragma once

#include <optional>
#include <string>

namespace echomux {

class ReplyText {
public:
    ReplyText() = default;
    // `text` must be valid (see check_reply_text).
    explicit ReplyText(const std::string& text);

    bool empty() const { return text_.empty(); }
    // The text for the connection on socket `fd`.
    std::string for_connection(int fd) const;

private:
    std::string text_;  // environment already filled in; %p, %l, %% left
    bool per_connection_ = false;
};

// What is wrong with `text` as a reply text, or nullopt: an unterminated ${, an empty or
// malformed name, % followed by anything but p, l or %, a control character.
std::optional<std::string> check_reply_text(const std::string& text);

}  // namespace echomux
