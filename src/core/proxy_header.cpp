// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/proxy_header.hpp"

#include "echomux/util/socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace echomux::proxy {
namespace {

constexpr unsigned char kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t kV2FixedBytes = 16;  // signature, version/command, family/protocol, length

// Addresses as inet_pton reads them: at most INET(6)_ADDRSTRLEN - 1 characters.
constexpr std::size_t kMaxV4Text = INET_ADDRSTRLEN - 1;
constexpr std::size_t kMaxV6Text = INET6_ADDRSTRLEN - 1;

Header complete(std::size_t length, std::string client) {
    Header h;
    h.status = Status::complete;
    h.length = length;
    h.client = std::move(client);
    return h;
}

Header refused(Error error, std::string detail) {
    Header h;
    h.status = Status::invalid;
    h.error = error;
    h.detail = std::move(detail);
    return h;
}

Header not_proxy() {
    Header h;
    h.status = Status::not_proxy;
    return h;
}

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// "1.2.3.4:1111" / "[2001:db8::1]:1111" from an address's bytes in network order (copied
// first: the bytes may sit at any alignment). An IPv4-mapped IPv6 source (a proxy listening
// on ::) is named as its IPv4 address, as the server names its own clients.
std::string describe(int family, const unsigned char* address, std::uint16_t port) {
    in6_addr aligned{};
    std::memcpy(&aligned, address, family == AF_INET ? sizeof(in_addr) : sizeof(in6_addr));
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&aligned)) {
        family = AF_INET;
        std::memmove(&aligned, aligned.s6_addr + 12, sizeof(in_addr));
    }
    char text[INET6_ADDRSTRLEN] = "";
    ::inet_ntop(family, &aligned, text, sizeof text);
    return describe_address(text, port);
}

// The human-readable line. Reads at most kMaxV1Bytes, byte by byte from the start; each
// rule is checked as soon as the bytes it needs are there, so the first broken rule wins
// whatever follows, and running out of bytes is the only way to answer `incomplete`.
class V1Parser {
public:
    V1Parser(const unsigned char* data, std::size_t n) : data_(data), end_(std::min(n, kMaxV1Bytes)) {}

    Header parse() {
        static const char kPrefix[] = "PROXY ";
        for (std::size_t i = 0; i + 1 < sizeof kPrefix; ++i) {
            if (!has_byte()) return more();
            if (next() != static_cast<unsigned char>(kPrefix[i])) return not_proxy();
        }
        if (!has_byte()) return more();
        if (data_[pos_] == 'U') {
            if (!literal("UNKNOWN", "v1 protocol is not TCP4, TCP6 or UNKNOWN")) return result_;
            return unknown_rest();
        }
        if (!literal("TCP", "v1 protocol is not TCP4, TCP6 or UNKNOWN")) return result_;
        if (!has_byte()) return more();
        const unsigned char version = next();
        if (version != '4' && version != '6') return refused(Error::malformed, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
        const int family = version == '4' ? AF_INET : AF_INET6;
        if (!literal(" ", "v1 protocol is not followed by one space")) return result_;

        unsigned char source[16] = {}, destination[16] = {};
        std::uint16_t source_port = 0, destination_port = 0;
        if (!address(family, "source", source)) return result_;
        if (!address(family, "destination", destination)) return result_;
        if (!port(' ', "source", source_port)) return result_;
        if (!port('\r', "destination", destination_port)) return result_;
        if (!literal("\n", "v1 line has CR without LF")) return result_;
        return complete(pos_, describe(family, source, source_port));
    }

private:
    bool has_byte() const { return pos_ < end_; }
    unsigned char next() { return data_[pos_++]; }

    // Out of bytes: the line may still end, unless it already takes the most a line may.
    Header more() const {
        if (end_ == kMaxV1Bytes) return refused(Error::oversized, "v1 header without CRLF within 107 bytes");
        return Header{};
    }
    bool stop(Header h) {
        result_ = std::move(h);
        return false;
    }
    bool bad(const char* detail) { return stop(refused(Error::malformed, detail)); }
    // "v1 source address is not IPv4": built only when a rule breaks, so reading allocates nothing.
    bool bad(const char* which, const char* problem) {
        return stop(refused(Error::malformed, std::string("v1 ") + which + problem));
    }

    bool literal(const char* text, const char* detail) {
        for (; *text != '\0'; ++text) {
            if (!has_byte()) return stop(more());
            if (next() != static_cast<unsigned char>(*text)) return bad(detail);
        }
        return true;
    }

    // "PROXY UNKNOWN": anything up to the CRLF, but no lone CR or LF.
    Header unknown_rest() {
        for (;;) {
            if (!has_byte()) return more();
            const unsigned char c = next();
            if (c == '\n') return refused(Error::malformed, "v1 line has LF without CR");
            if (c == '\r') {
                if (!has_byte()) return more();
                if (next() != '\n') return refused(Error::malformed, "v1 line has CR without LF");
                return complete(pos_, "");
            }
        }
    }

    // An address up to the space after it. Characters the family never uses, or more of them
    // than its longest text, fail at once; the whole is checked by inet_pton at the space.
    bool address(int family, const char* which, unsigned char* out) {
        const bool v4 = family == AF_INET;
        const char* problem = v4 ? " address is not IPv4" : " address is not IPv6";
        char text[kMaxV6Text + 1] = "";
        std::size_t length = 0;
        for (;;) {
            if (!has_byte()) return stop(more());
            const unsigned char c = next();
            if (c == ' ') break;
            const bool allowed = v4 ? (is_digit(c) || c == '.') : (is_hex_digit(c) || c == ':' || c == '.');
            if (!allowed) return bad(which, problem);
            if (length == (v4 ? kMaxV4Text : kMaxV6Text)) return bad(which, " address is too long");
            text[length++] = static_cast<char>(c);
        }
        if (length == 0) return bad(which, " address is empty");
        text[length] = '\0';
        if (::inet_pton(family, text, out) != 1) return bad(which, problem);
        return true;
    }

    // A decimal port in 0..65535 without leading zeros, then `terminator`.
    bool port(unsigned char terminator, const char* which, std::uint16_t& out) {
        std::uint32_t value = 0;
        std::size_t digits = 0;
        for (;;) {
            if (!has_byte()) return stop(more());
            const unsigned char c = next();
            if (is_digit(c)) {
                if (digits == 1 && value == 0) return bad(which, " port has a leading zero");
                value = value * 10 + (c - '0');
                if (value > 65535) return bad(which, " port is above 65535");
                ++digits;
                continue;
            }
            if (digits == 0) return bad(which, " port is not a decimal number");
            if (c != terminator)
                return terminator == '\r' ? bad("v1 line does not end in CRLF after the destination port")
                                          : bad(which, " port is not followed by one space");
            out = static_cast<std::uint16_t>(value);
            return true;
        }
    }

    const unsigned char* data_;
    std::size_t end_;
    std::size_t pos_ = 0;
    Header result_;
};

// The binary header: 16 fixed bytes, then `length` bytes of addresses and TLVs.
Header parse_v2(const unsigned char* data, std::size_t n) {
    for (std::size_t i = 0; i < sizeof kV2Signature; ++i) {
        if (i == n) return Header{};
        if (data[i] != kV2Signature[i]) return not_proxy();
    }
    if (n < 13) return Header{};
    const unsigned version = data[12] >> 4, command = data[12] & 0x0F;
    if (version != 2) return refused(Error::malformed, "v2 version is " + std::to_string(version) + ", not 2");
    if (command > 1) return refused(Error::malformed, "v2 command is " + std::to_string(command) + ", not LOCAL or PROXY");
    const bool local = command == 0;

    if (n < 14) return Header{};
    const unsigned family = data[13] >> 4, protocol = data[13] & 0x0F;
    if (!local && family > 3) return refused(Error::malformed, "v2 address family " + std::to_string(family) + " is unassigned");
    if (!local && protocol > 2) return refused(Error::malformed, "v2 transport protocol " + std::to_string(protocol) + " is unassigned");

    if (n < kV2FixedBytes) return Header{};
    const std::size_t length = kV2FixedBytes + ((std::size_t{data[14]} << 8) | data[15]);
    if (length > kMaxHeaderBytes)
        return refused(Error::oversized, "v2 header of " + std::to_string(length) + " bytes is above " +
                                             std::to_string(kMaxHeaderBytes));
    // The addresses of INET, INET6 and UNIX over STREAM or DGRAM must fit in the length.
    if (!local && protocol != 0) {
        static const std::size_t kAddressBytes[] = {0, 12, 36, 216};
        const std::size_t needed = kAddressBytes[family];
        if (length - kV2FixedBytes < needed)
            return refused(Error::malformed, "v2 address block of " + std::to_string(length - kV2FixedBytes) +
                                                 " bytes is shorter than the family's " + std::to_string(needed));
    }
    if (n < length) return Header{};

    const unsigned char* addresses = data + kV2FixedBytes;
    if (local || protocol != 1 || (family != 1 && family != 2)) return complete(length, "");
    const std::size_t address_bytes = family == 1 ? 4 : 16;
    const unsigned char* port = addresses + 2 * address_bytes;  // the source port follows both addresses
    const auto source_port = static_cast<std::uint16_t>((port[0] << 8) | port[1]);
    return complete(length, describe(family == 1 ? AF_INET : AF_INET6, addresses, source_port));
}

}  // namespace

Header parse(const char* data, std::size_t n) {
    if (n == 0) return Header{};
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    if (bytes[0] == 'P') return V1Parser(bytes, n).parse();
    if (bytes[0] == kV2Signature[0]) return parse_v2(bytes, n);
    return not_proxy();
}

const char* error_name(Error e) {
    switch (e) {
        case Error::none: return "none";
        case Error::malformed: return "malformed";
        case Error::oversized: return "oversized";
    }
    return "?";
}

}  // namespace echomux::proxy
