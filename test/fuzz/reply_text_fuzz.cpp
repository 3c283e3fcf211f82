// SPDX-License-Identifier: BSL-1.0
// Greeting and prefix texts: the validator the conf file uses (parse_reply_text, which
// throws BadValue and nothing else), check_reply_text, and the expansion (ReplyText's
// ${NAME} at start, fill()'s %p, %l, %% per connection) against a reference expansion.
// Input: a selector byte, then the text; the client and local addresses come from the
// text's tail after a NUL when there is one (a peer named by a PROXY header is anything).
#include "config_values.hpp"
#include "echomux/core/reply_text.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace echomux;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& text) {
    std::fprintf(stderr, "reply_text fuzz: %s, text '%s'\n", what.c_str(), text.c_str());
    std::abort();
}

// Environment values a text may name, with what a value can hold: %, $, braces, nothing.
void set_environment() {
    static const bool once = [] {
        ::setenv("ECHOMUX_FUZZ_A", "host-a", 1);
        ::setenv("ECHOMUX_FUZZ_PCT", "100%p %% %l %", 1);
        ::setenv("ECHOMUX_FUZZ_BRACE", "${ECHOMUX_FUZZ_A}}{", 1);
        ::setenv("ECHOMUX_FUZZ_EMPTY", "", 1);
        ::unsetenv("ECHOMUX_FUZZ_UNSET");
        return true;
    }();
    (void)once;
}

std::string environment_value(const std::string& name) {
    if (const char* v = std::getenv(name.c_str())) return v;
    if (name == "HOSTNAME") {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0) return host;
    }
    return "";
}

// What a valid text must become, written the plain way: one pass, each form replaced by what
// it names; an environment value is taken as it is (its own % is not a form).
std::string expand(const std::string& text, const Endpoints& who) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "${") == 0) {
            const auto end = text.find('}', i);
            out += environment_value(text.substr(i + 2, end - i - 2));
            i = end;
        } else if (text[i] == '%') {
            const char what = text[++i];
            switch (what) {
                case 'p': out += who.peer; break;
                case 'l': out += who.local; break;
                case 'n': out += who.sni; break;
                case 'v': out += who.tls_version; break;
                case 'c': out += who.client_subject; break;
                default: out += '%';
            }
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    set_environment();
    if (size > 4096) return 0;
    std::string text(reinterpret_cast<const char*>(data), size);
    std::string client = "192.0.2.1:5000", local = "[2001:db8::7]:7007";
    if (const auto nul = text.find('\0'); nul != std::string::npos) {
        const std::string tail = text.substr(nul + 1);
        text.resize(nul);
        const auto split = tail.find('\0');
        client = tail.substr(0, split);
        local = split == std::string::npos ? "" : tail.substr(split + 1);
    }

    const auto problem = check_reply_text(text);
    try {
        const std::string parsed = parse_reply_text(text);
        if (problem) fail("parse_reply_text accepts what check_reply_text refuses", text);
        if (parsed != text) fail("parse_reply_text changed the text", text);
    } catch (const BadValue& e) {
        if (!problem && text.size() <= 1024) fail(std::string("refused a valid text: ") + e.what(), text);
    } catch (...) {
        fail("parse_reply_text threw something other than BadValue", text);
    }
    if (problem) {
        if (problem->empty()) fail("a refusal without a reason", text);
        return 0;
    }
    const ReplyText reply(text);
    Endpoints who;  // a TLS client, so %n, %v and %c have something to show
    who.peer = client;
    who.local = local;
    who.sni = "echo.example";
    who.tls_version = "TLSv1.3";
    who.client_subject = "CN=fuzz,O=%p";
    const std::string filled = reply.fill(who);
    if (reply.empty() && !filled.empty()) fail("empty(), yet fill() gives text", text);
    if (filled != expand(text, who)) fail("fill() gave '" + filled + "', expected '" + expand(text, who) + "'", text);
    // per_connection() false means fill() needs no addresses: any addresses give the same.
    if (!reply.per_connection() && reply.fill("x", "y") != filled) fail("not per_connection, yet the addresses show", text);
    return 0;
}
