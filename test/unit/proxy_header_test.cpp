// SPDX-License-Identifier: BSL-1.0
// The PROXY protocol header parser against the spec's examples and rules, then a seeded
// fuzz: random bytes, mutated and truncated headers, with the invariants checked on every
// answer and along every byte-by-byte growth of the input.
#include "echomux/core/proxy_header.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace echomux::proxy;

namespace {

const std::string kSignature("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

Header parse_text(const std::string& bytes) { return parse(bytes.data(), bytes.size()); }

std::string be16(unsigned value) { return {static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)}; }

// A v2 header: signature, the two command/family bytes, `length` (the body's size unless
// given), the body.
std::string v2(unsigned ver_cmd, unsigned fam, const std::string& body, long length = -1) {
    return kSignature + static_cast<char>(ver_cmd) + static_cast<char>(fam) +
           be16(length < 0 ? static_cast<unsigned>(body.size()) : static_cast<unsigned>(length)) + body;
}

const std::string kInetBody("\xC0\xA8\x00\x01"   // 192.168.0.1
                            "\x0A\x00\x00\x0B"   // 10.0.0.11
                            "\xDC\x04"           // 56324
                            "\x01\xBB",          // 443
                            12);
const std::string kInet6Body(std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + '\x01' +  // 2001:db8::1
                             std::string(15, '\0') + '\x01' +                                     // ::1
                             std::string("\x04\x57\x00\x50", 4));                                // 1111, 80
// A NOOP TLV and an AWS-style custom TLV, as a load balancer appends them.
const std::string kTlvs(std::string("\x04\x00\x03xyz", 6) + "\xEA" + be16(9) + "\x01vpce-123");

struct Valid {
    const char* name;
    std::string bytes;
    std::string client;
};

std::vector<Valid> valid_headers() {
    return {
        {"v1 TCP4", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1:56324"},
        {"v1 TCP4 zeros", "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0:0"},
        {"v1 TCP6", "PROXY TCP6 2001:DB8::1 ::1 1111 80\r\n", "[2001:db8::1]:1111"},
        {"v1 TCP6 longest", "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
         "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"},
        {"v1 UNKNOWN short", "PROXY UNKNOWN\r\n", ""},
        {"v1 UNKNOWN worst case",
         "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", ""},
        {"v2 PROXY INET", v2(0x21, 0x11, kInetBody), "192.168.0.1:56324"},
        {"v2 PROXY INET with TLVs", v2(0x21, 0x11, kInetBody + kTlvs), "192.168.0.1:56324"},
        {"v2 PROXY INET6", v2(0x21, 0x21, kInet6Body), "[2001:db8::1]:1111"},
        {"v2 PROXY INET6 with TLVs", v2(0x21, 0x21, kInet6Body + kTlvs), "[2001:db8::1]:1111"},
        {"v2 LOCAL", v2(0x20, 0x00, ""), ""},
        {"v2 LOCAL with addresses", v2(0x20, 0x11, kInetBody), ""},
        {"v2 PROXY UNSPEC", v2(0x21, 0x00, ""), ""},
        {"v2 LOCAL ignores the family byte", v2(0x20, 0xFF, ""), ""},
        {"v2 PROXY INET over UNSPEC needs no addresses", v2(0x21, 0x10, ""), ""},
        {"v2 PROXY INET over DGRAM", v2(0x21, 0x12, kInetBody), ""},
        {"v2 PROXY UNIX", v2(0x21, 0x31, std::string(216, 'u')), ""},
    };
}

bool same(const Header& a, const Header& b) {
    return a.status == b.status && a.length == b.length && a.client == b.client && a.error == b.error &&
           a.detail == b.detail;
}

std::string describe(const Header& h) {
    static const char* const kStatus[] = {"incomplete", "complete", "not_proxy", "invalid"};
    std::ostringstream out;
    out << kStatus[static_cast<int>(h.status)] << " length=" << h.length << " client=\"" << h.client
        << "\" error=" << error_name(h.error) << " detail=\"" << h.detail << "\"";
    return out.str();
}

std::string hex(const std::string& bytes) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) out += {kDigits[c >> 4], kDigits[c & 15]};
    return out;
}

// What is wrong with `h` as the answer for `n` bytes on its own ("" when nothing is).
std::string invariant_violation(const Header& h, std::size_t n) {
    switch (h.status) {
        case Status::complete:
            if (h.length == 0 || h.length > n || h.length > kMaxHeaderBytes) return "complete with a bad length";
            if (h.error != Error::none || !h.detail.empty()) return "complete with an error";
            return "";
        case Status::incomplete:
            if (n >= kMaxHeaderBytes) return "incomplete at or past kMaxHeaderBytes";
            break;
        case Status::not_proxy: break;
        case Status::invalid:
            if (h.error == Error::none || h.detail.empty()) return "invalid without an error and detail";
            if (h.length != 0 || !h.client.empty()) return "invalid with a length or client";
            return "";
    }
    if (h.length != 0 || !h.client.empty() || h.error != Error::none || !h.detail.empty())
        return "undecided answer carries fields";
    return "";
}

// Parses every prefix of `input`, as a connection receiving it one byte at a time would, and
// checks each answer's invariants and that once decided (complete, not_proxy, invalid) the
// answer never changes. Returns "" or what went wrong; `final` gets the whole input's answer.
std::string check_growth(const std::string& input, Header& final) {
    bool decided = false;
    Header first;
    std::size_t decided_at = 0;
    for (std::size_t k = 0; k <= input.size(); ++k) {
        const Header h = parse(input.data(), k);
        const std::string violation = invariant_violation(h, k);
        if (!violation.empty()) return violation + " at " + std::to_string(k) + " bytes: " + describe(h);
        if (decided && !same(h, first))
            return "answer changed from " + describe(first) + " at " + std::to_string(decided_at) + " bytes to " +
                   describe(h) + " at " + std::to_string(k);
        if (!decided && h.status != Status::incomplete) {
            decided = true;
            first = h;
            decided_at = k;
        }
        final = h;
    }
    return "";
}

void expect_invalid(const std::string& bytes, Error error) {
    Header final;
    const std::string problem = check_growth(bytes, final);
    BOOST_TEST(problem.empty(), problem);
    BOOST_TEST((final.status == Status::invalid), hex(bytes) << ": " << describe(final));
    BOOST_TEST((final.error == error), hex(bytes) << ": " << describe(final));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_header)

BOOST_AUTO_TEST_CASE(valid_headers_name_the_client_and_their_exact_length) {
    for (const Valid& v : valid_headers()) {
        BOOST_TEST_CONTEXT(v.name) {
            const Header h = parse_text(v.bytes + "GET / HTTP/1.1\r\n");  // the client's bytes are not the header's
            BOOST_TEST((h.status == Status::complete), describe(h));
            BOOST_TEST(h.length == v.bytes.size());
            BOOST_TEST(h.client == v.client);
            BOOST_TEST((h.error == Error::none));
            BOOST_TEST(h.detail.empty());
            BOOST_TEST(describe(parse_text(v.bytes)) == describe(h));  // nothing after it: the same
        }
    }
}

BOOST_AUTO_TEST_CASE(every_strict_prefix_of_a_valid_header_is_incomplete) {
    for (const Valid& v : valid_headers()) {
        for (std::size_t k = 0; k < v.bytes.size(); ++k) {
            // An exact-size copy, so a read past `k` is a heap overflow the sanitizer reports.
            const std::vector<char> prefix(v.bytes.begin(), v.bytes.begin() + k);
            const Header h = parse(prefix.data(), prefix.size());
            BOOST_TEST((h.status == Status::incomplete), v.name << " at " << k << " bytes: " << describe(h));
        }
    }
}

BOOST_AUTO_TEST_CASE(byte_by_byte_growth_gives_the_same_answer_as_all_at_once) {
    for (const Valid& v : valid_headers()) {
        const std::string input = v.bytes + "hello\r\n";
        Header final;
        const std::string problem = check_growth(input, final);
        BOOST_TEST(problem.empty(), v.name << ": " << problem);
        BOOST_TEST(describe(final) == describe(parse_text(input)));
        BOOST_TEST(final.length == v.bytes.size());
    }
}

BOOST_AUTO_TEST_CASE(v1_lines_that_break_a_rule_are_malformed) {
    const char* const lines[] = {
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",         // unknown family
        "PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n",          // no family digit
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",         // not TCP
        "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",        // two spaces
        "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",        // empty source address
        "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",       // not an IPv4 address
        "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",           // three parts
        "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",        // leading zero in an address
        "PROXY TCP4 1.2.x.4 5.6.7.8 1 2\r\n",         // not a digit
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",             // IPv6 under TCP4
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",             // IPv4 under TCP6
        "PROXY TCP6 1::2::3 ::1 1 2\r\n",             // two double colons
        "PROXY TCP4 1.2.3.4 5.6.7.8.9 1 2\r\n",       // bad destination
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",     // port above 65535
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",     // port above 65535
        "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",        // sign
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",        // sign
        "PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n",          // empty port
        "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",       // leading zero in a port
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n",        // leading zero in a port
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",           // missing CR
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",          // CR without LF
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",        // trailing space
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",           // no destination port
        "PROXY UNKNOWN\n",                            // missing CR
        "PROXY UNKNOWN 1.2.3.4\n5.6.7.8 1 2\r\n",     // lone LF inside
        "PROXY UNKNOWN\rX\r\n",                       // lone CR inside
    };
    for (const char* line : lines) BOOST_TEST_CONTEXT(line) { expect_invalid(line, Error::malformed); }
}

BOOST_AUTO_TEST_CASE(v2_headers_that_break_a_rule_are_malformed) {
    const std::string headers[] = {
        v2(0x11, 0x11, kInetBody),                   // version 1
        v2(0x31, 0x11, kInetBody),                   // version 3
        v2(0x01, 0x11, kInetBody),                   // version 0
        v2(0x22, 0x11, kInetBody),                   // command 2
        v2(0x2F, 0x11, kInetBody),                   // command 15
        v2(0x21, 0x41, kInetBody),                   // family 4
        v2(0x21, 0x13, kInetBody),                   // protocol 3
        v2(0x21, 0x11, kInetBody.substr(0, 11)),     // INET shorter than 12
        v2(0x21, 0x11, ""),                          // INET without addresses
        v2(0x21, 0x21, kInet6Body.substr(0, 35)),    // INET6 shorter than 36
        v2(0x21, 0x22, kInetBody),                   // INET6 over DGRAM with INET's 12
        v2(0x21, 0x31, std::string(215, 'u')),       // UNIX shorter than 216
    };
    for (const std::string& h : headers) BOOST_TEST_CONTEXT(hex(h.substr(12, 4))) { expect_invalid(h, Error::malformed); }
    // Decided from the 16 fixed bytes: the addresses need not arrive.
    BOOST_TEST((parse_text(v2(0x21, 0x11, "", 11)).status == Status::invalid));
    BOOST_TEST((parse_text(kSignature + "\x11").status == Status::invalid));  // version known at byte 13
}

BOOST_AUTO_TEST_CASE(headers_past_their_limit_are_oversized) {
    // v1: no CRLF within 107 bytes, whatever the protocol.
    const std::string unknown_line = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
    BOOST_REQUIRE(unknown_line.size() == kMaxV1Bytes);
    BOOST_TEST((parse_text(unknown_line).status == Status::complete));
    expect_invalid("PROXY UNKNOWN " + std::string(92, 'x') + "\r\n", Error::oversized);
    expect_invalid("PROXY UNKNOWN " + std::string(500, 'x'), Error::oversized);
    // Addresses inet_pton takes (IPv4-mapped, 45 characters) but too long for one line.
    const std::string mapped = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    expect_invalid("PROXY TCP6 " + mapped + " " + mapped + " 65535 65535\r\n", Error::oversized);

    // v2: decided from the 16 fixed bytes.
    const std::size_t most_body = kMaxHeaderBytes - 16;
    const std::string largest = v2(0x21, 0x11, kInetBody + std::string(most_body - kInetBody.size(), '\0'));
    BOOST_REQUIRE(largest.size() == kMaxHeaderBytes);
    BOOST_TEST((parse_text(largest).status == Status::complete));
    BOOST_TEST((parse(largest.data(), largest.size() - 1).status == Status::incomplete));
    const Header too_long = parse_text(v2(0x21, 0x11, "", static_cast<long>(most_body + 1)));
    BOOST_TEST((too_long.status == Status::invalid));
    BOOST_TEST((too_long.error == Error::oversized));
    BOOST_TEST((parse_text(v2(0x20, 0x00, "", 0xFFFF)).error == Error::oversized));
}

BOOST_AUTO_TEST_CASE(bytes_that_cannot_begin_a_header_are_not_proxy) {
    for (const std::string& bytes : {std::string("hello\n"), std::string("GET /"), std::string("proxy TCP4"),
                                    std::string("PROXYX"), std::string("PROXY\r\n"), std::string("\r\n\r\nGET /"),
                                    std::string("\r\n\r\n\0\r\nQUIX", 11), std::string("\x16\x03\x01", 3)}) {
        Header final;
        const std::string problem = check_growth(bytes, final);
        BOOST_TEST(problem.empty(), problem);
        BOOST_TEST((final.status == Status::not_proxy), hex(bytes) << ": " << describe(final));
    }
    // Fewer bytes than either start, and all matching it: wait for more.
    BOOST_TEST((parse("", 0).status == Status::incomplete));
    BOOST_TEST((parse_text("PROX").status == Status::incomplete));
    BOOST_TEST((parse_text(kSignature.substr(0, 7)).status == Status::incomplete));
    BOOST_TEST((parse_text(kSignature).status == Status::incomplete));
}

BOOST_AUTO_TEST_CASE(error_names_are_the_metric_labels) {
    BOOST_TEST(std::string(error_name(Error::malformed)) == "malformed");
    BOOST_TEST(std::string(error_name(Error::oversized)) == "oversized");
}

// Seeded so a failure can be replayed: the seed is printed, and ECHOMUX_PROXY_FUZZ_SEED picks another.
BOOST_AUTO_TEST_CASE(fuzzed_inputs_keep_the_invariants_and_never_change_a_decided_answer) {
    std::uint64_t seed = 0x9e3779b97f4a7c15ull;
    if (const char* chosen = std::getenv("ECHOMUX_PROXY_FUZZ_SEED")) seed = std::strtoull(chosen, nullptr, 0);
    constexpr int kInputs = 200000;
    std::cout << "proxy_header fuzz: seed " << seed << ", " << kInputs << " inputs" << std::endl;

    std::mt19937_64 rng(seed);
    auto below = [&](std::size_t bound) { return static_cast<std::size_t>(rng() % bound); };
    auto random_byte = [&]() -> char {
        static const char kInteresting[] = {' ', '\r', '\n', '0', '1', '9', '.', ':', 'f', 'P', '\0', '\xff'};
        return below(2) == 0 ? kInteresting[below(sizeof kInteresting)] : static_cast<char>(rng());
    };

    std::vector<std::string> seeds;
    for (const Valid& v : valid_headers()) seeds.push_back(v.bytes);
    // One near the limit, so mutations of its length field cross it.
    seeds.push_back(v2(0x21, 0x11, kInetBody + std::string(kMaxHeaderBytes - 16 - kInetBody.size(), '\x04')));

    std::size_t counts[4] = {};
    std::string input;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kInputs; ++i) {
        const std::size_t kind = below(10);
        if (kind == 0) {  // random bytes
            input.assign(below(64), '\0');
            for (char& c : input) c = random_byte();
        } else if (kind < 9) {  // a valid header, mutated, with data after it
            input = seeds[below(seeds.size())];
            const std::size_t mutations = 1 + below(4);
            for (std::size_t m = 0; m < mutations; ++m) {
                const std::size_t at = below(input.size() + 1);
                switch (below(4)) {
                    case 0: if (at < input.size()) input[at] = static_cast<char>(input[at] ^ (1 << below(8))); break;
                    case 1: if (at < input.size()) input[at] = random_byte(); break;
                    case 2: input.insert(at, 1, random_byte()); break;
                    case 3: if (at < input.size()) input.erase(at, 1); break;
                }
            }
            if (below(2) == 0) input += "data";
        } else {  // a valid header cut short, sometimes followed by other bytes
            input = seeds[below(seeds.size())];
            input.resize(below(input.size() + 1));
            if (below(2) == 0) input += static_cast<char>(rng());
        }

        // Long inputs (the near-limit seed) only at their start, the end and around the limit,
        // so the run stays short; every other input at every length.
        Header final;
        std::string problem;
        if (input.size() <= 256) {
            problem = check_growth(input, final);
        } else {
            for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{12}, std::size_t{16}, std::size_t{17},
                                  kMaxHeaderBytes - 1, kMaxHeaderBytes, input.size()}) {
                if (k > input.size()) continue;
                const Header h = parse(input.data(), k);
                problem = invariant_violation(h, k);
                if (!problem.empty()) break;
                final = h;
            }
        }
        // The whole input again from an exact-size copy: a read past the end is reported.
        const std::vector<char> exact(input.begin(), input.end());
        if (problem.empty() && !same(parse(exact.data(), exact.size()), final)) problem = "answer depends on the buffer";
        if (!problem.empty()) {
            BOOST_ERROR("input " << i << " (seed " << seed << ") " << hex(input) << ": " << problem);
            return;
        }
        ++counts[static_cast<int>(final.status)];
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "proxy_header fuzz: " << counts[0] << " incomplete, " << counts[1] << " complete, " << counts[2]
              << " not_proxy, " << counts[3] << " invalid in " << seconds << " s" << std::endl;
    // The mutations must reach every answer, or the fuzz tests less than it claims.
    for (std::size_t count : counts) BOOST_TEST(count > 100u);
}

BOOST_AUTO_TEST_SUITE_END()
