// SPDX-License-Identifier: BSL-1.0
// The PROXY protocol header (HAProxy's "The PROXY protocol Versions 1 & 2") a load balancer
// puts before a client's bytes: is it there, how long is it, which client does it name.
// Pure, no I/O, so every backend shares it.
//
// The parser is stateless: it is given the connection's bytes from the first one each time
// more arrive, and reads them again from the start. A header is small and bounded
// (kMaxHeaderBytes), so re-reading costs little, and any fragmentation of the same bytes
// gives the same answer without a state machine to carry between reads.
//
// Decisions, where the spec leaves a choice:
// - A prefix that can no longer become a valid header is `invalid` as soon as the byte that
//   breaks it arrives (e.g. "PROXY TCP5", "PROXY TCP4 1.2.x", a port's sixth digit); an
//   address is checked (inet_pton) when the space after it arrives. So the answer for
//   given bytes never changes when more bytes follow.
// - v1 ports and IPv4 address parts with leading zeros ("080", "01.2.3.4") are refused, as
//   the spec forbids them ("to avoid any possible confusion with octal numbers").
// - v1 "PROXY UNKNOWN" may be followed by any bytes up to the CRLF (the spec: "the receiver
//   must ignore anything presented before the CRLF"), but not a lone CR or LF, which the
//   spec forbids as a line end.
// - v2 TLVs after the addresses are skipped, not parsed: the spec allows it, we use none of
//   them, and the length field alone bounds them. The family byte of a LOCAL header is
//   ignored (the spec: "discard the protocol block including the family"). A PROXY header's
//   length must hold its addresses (12 INET, 36 INET6, 216 UNIX) when the transport is STREAM
//   or DGRAM; with transport UNSPEC the spec says to ignore the addresses, so none are needed.
#pragma once

#include <cstddef>
#include <string>

namespace echomux::proxy {

// The most bytes a header may take. A v1 line is at most 107 bytes; a v2 header is 16 bytes,
// the address block (at most 216, AF_UNIX) and TLVs. Cloud load balancers add a few dozen
// bytes of TLVs (AWS 0xEA VPC endpoint id, GCP 0xE0, Azure 0xEE); HAProxy's own TLVs (ALPN,
// authority up to 255, unique id up to 128, SSL with CN/cipher/algorithms) stay under ~1 KiB.
// 2 KiB takes all of those with room, while a stranger can make a connection hold no more
// than this before the header is decided.
inline constexpr std::size_t kMaxHeaderBytes = 2048;

// The longest v1 line, CRLF included (the spec's "PROXY UNKNOWN" worst case).
inline constexpr std::size_t kMaxV1Bytes = 107;

enum class Status {
    incomplete,  // every byte so far fits a header: read more (n < kMaxHeaderBytes guaranteed)
    complete,    // a whole header: `length` bytes, the client's bytes start after it
    not_proxy,   // the bytes cannot begin a v1 or v2 header (optional mode: they are data)
    invalid,     // they begin one but break the rules, or it would exceed kMaxHeaderBytes
};

enum class Error { none, malformed, oversized };  // why `invalid` (for echomux_proxy_errors_total{reason})

struct Header {
    Status status = Status::incomplete;
    std::size_t length = 0;  // complete: bytes taken by the header (0 otherwise)
    // complete, v1 TCP4/TCP6 or v2 PROXY INET/INET6 over STREAM: the source as "1.2.3.4:1111"
    // or "[2001:db8::1]:1111" (describe_address's format; IPv6 in its canonical form). Empty
    // for v1 UNKNOWN, v2 LOCAL, and v2 families/protocols not carried (UNSPEC, UNIX, DGRAM):
    // use the socket's own peer.
    std::string client;
    Error error = Error::none;
    std::string detail;  // invalid: one short human reason for the log
};

// Parses the bytes received so far on a connection, always from its first byte. Reads no
// byte at or past `n`.
Header parse(const char* data, std::size_t n);

const char* error_name(Error e);  // "malformed", "oversized" ("none" for Error::none)

}  // namespace echomux::proxy
