// SPDX-License-Identifier: BSL-1.0
// The lines an echomux may send as a connection opens (`greeting`), before it echoes
// anything: read and kept (--greeting-lines N), or found (--greeting-lines auto).
//
// `auto` sends one probe line and reads until the probe's echo: whatever came before it is
// the greeting. TCP keeps the order of the server's bytes, and the server writes its greeting
// before it reads a byte, so the count does not depend on timing (waiting "a while" for a
// first line would: a slow greeting would be missed, a fast echo mistaken for one). The
// probe's line also shows the prefix a server in prefix mode puts before each line.
#pragma once

#include "tools/stream.hpp"

#include <optional>
#include <string>
#include <vector>

namespace echomux::tools {

constexpr int kMaxGreetingLines = 16;
constexpr std::size_t kMaxGreetingBytes = 16384;  // all greeting lines together

// --greeting-lines: "auto" (nullopt) or 0..kMaxGreetingLines; throws std::invalid_argument
// with the usage line on anything else.
std::optional<int> parse_greeting_lines(const std::string& text);

// Reads exactly `lines` lines (without their '\n') from `stream`, within `timeout_s`; throws
// std::runtime_error ("no greeting: timed out after N s", "the server closed ...").
std::vector<std::string> read_greeting(Stream& stream, int lines, double timeout_s);

struct ProbeAnswer {
    std::vector<std::string> greeting;  // lines before the probe's echo
    std::string prefix;                 // what came before the probe on its own line
};

// Takes the greeting lines from the head of what a connection receives, for clients that
// send before the greeting is in (a load loop, churn): the greeting still comes first.
class GreetingSkip {
public:
    explicit GreetingSkip(int lines = 0, bool keep = false) : left_(lines), keep_(keep) {}
    bool done() const { return left_ == 0; }
    // Moves `data` and `n` past the greeting bytes at their head; returns "" or, past
    // kMaxGreetingBytes, why the connection is wrong.
    std::string skip(const char*& data, std::size_t& n);
    std::vector<std::string> lines() const;  // the kept lines (keep: true)

private:
    int left_;
    bool keep_;
    std::size_t seen_ = 0;
    std::string kept_;
};

// Sends the probe line and reads its echo (upper mode leaves the probe as it is); throws
// std::runtime_error on a timeout, a close, or more than kMaxGreetingBytes before the echo.
ProbeAnswer probe(Stream& stream, double timeout_s);

}  // namespace echomux::tools
