// SPDX-License-Identifier: BSL-1.0
#include "tools/greeting.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

namespace echomux::tools {
namespace {

using Clock = std::chrono::steady_clock;

std::string timed_out(const char* what, double timeout_s) {
    char text[96];
    std::snprintf(text, sizeof text, "%s: timed out after %g s", what, timeout_s);
    return text;
}

// One byte, waiting at most until `deadline` whatever the socket's mode. One byte at a time
// so nothing after the greeting is taken from the stream (a greeting is a few dozen bytes).
char next_byte(Stream& stream, Clock::time_point deadline, const char* what, double timeout_s) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) throw std::runtime_error(timed_out(what, timeout_s));
        pollfd p{stream.fd(), POLLIN, 0};
        // TLS may hold the rest of a record already: poll would not see it.
        if (!stream.buffered() && ::poll(&p, 1, static_cast<int>(left)) == 0) continue;  // the deadline check above ends it
        char c = 0;
        const ssize_t n = stream.receive(&c, 1);
        if (n == 1) return c;
        if (n == 0) throw std::runtime_error(std::string(what) + ": the server closed the connection");
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
    }
}

Clock::time_point deadline_after(double seconds) {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

std::optional<int> parse_greeting_lines(const std::string& text) {
    if (text == "auto") return std::nullopt;
    if (!text.empty() && text.size() <= 2 && text.find_first_not_of("0123456789") == std::string::npos) {
        const int n = std::stoi(text);
        if (n <= kMaxGreetingLines) return n;
    }
    throw std::invalid_argument("--greeting-lines takes auto or a count from 0 to " + std::to_string(kMaxGreetingLines) +
                                "; got '" + text + "'");
}

std::vector<std::string> read_greeting(Stream& stream, int lines, double timeout_s) {
    const auto deadline = deadline_after(timeout_s);
    std::vector<std::string> greeting(static_cast<std::size_t>(lines));
    std::size_t total = 0;
    for (auto& line : greeting)
        for (char c; (c = next_byte(stream, deadline, "no greeting", timeout_s)) != '\n';) {
            if (++total > kMaxGreetingBytes)
                throw std::runtime_error("greeting longer than " + std::to_string(kMaxGreetingBytes) + " bytes");
            line += c;
        }
    return greeting;
}

std::string GreetingSkip::skip(const char*& data, std::size_t& n) {
    std::size_t taken = 0;
    while (left_ > 0 && taken < n) {
        const void* nl = std::memchr(data + taken, '\n', n - taken);
        const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : n;
        if (keep_) kept_.append(data + taken, end - taken);
        seen_ += end - taken;
        taken = end;
        if (nl) --left_;
    }
    data += taken;
    n -= taken;
    if (seen_ > kMaxGreetingBytes) return "greeting longer than " + std::to_string(kMaxGreetingBytes) + " bytes";
    return "";
}

std::vector<std::string> GreetingSkip::lines() const {
    std::vector<std::string> lines;
    for (std::size_t start = 0, nl; (nl = kept_.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(kept_.substr(start, nl - start));
    return lines;
}

ProbeAnswer probe(Stream& stream, double timeout_s) {
    // Digits, capitals and '-': the same in echo and upper mode, and never in a greeting.
    char line[40];
    std::snprintf(line, sizeof line, "ECHOMUX-PROBE-%016llX\n",
                  static_cast<unsigned long long>(std::random_device{}()) << 32 | std::random_device{}());
    const std::string sent = line;
    for (std::size_t at = 0; at < sent.size();) {
        const ssize_t n = stream.send(sent.data() + at, sent.size() - at);
        if (n < 0 && errno != EINTR && errno != EAGAIN) throw std::runtime_error(std::string("probe: ") + std::strerror(errno));
        if (n > 0) at += static_cast<std::size_t>(n);
    }
    const auto deadline = deadline_after(timeout_s);
    std::string got;
    // Bounded: at most kMaxGreetingBytes before the echo, then the echo itself.
    while (got.size() < sent.size() || got.compare(got.size() - sent.size(), sent.size(), sent) != 0) {
        if (got.size() > kMaxGreetingBytes + sent.size())
            throw std::runtime_error("probe: no echo of the probe line within " + std::to_string(kMaxGreetingBytes) +
                                     " bytes");
        got += next_byte(stream, deadline, "probe: no echo", timeout_s);
    }
    got.resize(got.size() - sent.size());
    ProbeAnswer answer;
    std::size_t start = 0;
    for (std::size_t nl; (nl = got.find('\n', start)) != std::string::npos; start = nl + 1)
        answer.greeting.push_back(got.substr(start, nl - start));
    answer.prefix = got.substr(start);
    return answer;
}

}  // namespace echomux::tools
