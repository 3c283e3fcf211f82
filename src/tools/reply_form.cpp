// SPDX-License-Identifier: BSL-1.0
#include "tools/reply_form.hpp"

namespace echomux::tools {

std::string ReplyForm::reply_to(std::string_view sent) {
    std::string reply;
    if (mode_ != Mode::prefix) {
        reply.assign(sent);
        apply_mode(mode_, reply.data(), reply.size());
        return reply;
    }
    for (const char c : sent) {
        if (at_line_start_) reply += prefix_;
        reply += c;
        at_line_start_ = c == '\n';
    }
    return reply;
}

std::string mode_and_prefix_mistake(Mode mode, bool prefix_given) {
    if (mode == Mode::prefix && !prefix_given) return "--mode prefix needs --prefix TEXT (the server's prefix, expanded)";
    if (mode != Mode::prefix && prefix_given) return "--prefix goes with --mode prefix";
    return "";
}

}  // namespace echomux::tools
