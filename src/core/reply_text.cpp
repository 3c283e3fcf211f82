// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/reply_text.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace echomux {
namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string environment_value(const std::string& name) {
    if (const char* value = std::getenv(name.c_str())) return value;
    if (name == "HOSTNAME") {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0) return host;
    }
    return "";
}

}  // namespace

std::optional<std::string> check_reply_text(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) return "control characters are not allowed";
        if (text.compare(i, 2, "${") == 0) {
            const auto end = text.find('}', i + 2);
            if (end == std::string::npos) return "unterminated ${";
            const std::string name = text.substr(i + 2, end - i - 2);
            bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
            for (char n : name) valid = valid && name_char(n);
            if (!valid) return "${" + name + "} is not an environment variable name";
            i = end;
        } else if (c == '%') {
            if (i + 1 == text.size() || std::string("plnvc%").find(text[i + 1]) == std::string::npos)
                return "% must be followed by p (client address), l (local address), n (TLS SNI name), v (TLS "
                       "version), c (client certificate subject) or % (a percent sign)";
            ++i;
        }
    }
    return std::nullopt;
}

ReplyText::ReplyText(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "${") == 0) {
            const auto end = text.find('}', i + 2);
            for (char c : environment_value(text.substr(i + 2, end - i - 2))) {
                if (c == '%') {  // a value's own % stays a %, not a %p to fill in
                    text_ += '%';
                    per_connection_ = true;
                }
                text_ += c;
            }
            i = end;
        } else {
            if (text[i] == '%') per_connection_ = true;
            text_ += text[i];
        }
    }
}

std::string ReplyText::fill(const std::string& client, const std::string& local) const {
    Endpoints who;
    who.peer = client;
    who.local = local;
    return fill(who);
}

std::string ReplyText::fill(const Endpoints& who) const {
    if (!per_connection_) return text_;
    std::string out;
    for (std::size_t i = 0; i < text_.size(); ++i) {
        if (text_[i] != '%' || i + 1 == text_.size()) {
            out += text_[i];
            continue;
        }
        const char what = text_[++i];
        switch (what) {
            case 'p': out += who.peer; break;
            case 'l': out += who.local; break;
            case 'n': out += who.sni; break;
            case 'v': out += who.tls_version; break;
            case 'c': out += who.client_subject; break;
            default: out += what;  // %%
        }
    }
    return out;
}

}  // namespace echomux
