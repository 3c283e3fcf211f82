// SPDX-License-Identifier: BSL-1.0
// What an echomux answers to the bytes a client sends, as the client must expect it: the
// bytes (echo), upper-cased (upper), or each line after a prefix (prefix: the prefix comes
// with a line's first byte, as the server's Connection::add_prefixes sends it).
#pragma once

#include "echomux/core/echo_protocol.hpp"

#include <string>
#include <string_view>

namespace echomux::tools {

class ReplyForm {
public:
    ReplyForm(Mode mode, std::string prefix) : mode_(mode), prefix_(std::move(prefix)) {}
    // The reply owed for `sent`, the next bytes of the connection (it remembers whether a
    // line is open, so a line sent in parts gets one prefix).
    std::string reply_to(std::string_view sent);

private:
    Mode mode_;
    std::string prefix_;
    bool at_line_start_ = true;
};

// The usage errors of --mode and --prefix ("" when they go together): prefix mode needs the
// text, and only prefix mode takes one.
std::string mode_and_prefix_mistake(Mode mode, bool prefix_given);

}  // namespace echomux::tools
