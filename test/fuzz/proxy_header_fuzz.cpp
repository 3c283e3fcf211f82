// SPDX-License-Identifier: BSL-1.0
// proxy::parse, whole and fed as growing prefixes (as a connection receives a header one
// byte at a time). What proxy_header.hpp promises, checked on every input:
// - no byte at or past n is read (under ASan the bytes past each prefix are poisoned);
// - once the answer for a prefix is decided (not incomplete), every longer prefix, and so
//   the whole input, gets the same answer: status, length, client, error;
// - incomplete only below kMaxHeaderBytes; complete takes 1..n bytes, at most the maximum.
#include "echomux/core/proxy_header.hpp"

#include <sanitizer/asan_interface.h>  // ASAN_POISON_MEMORY_REGION: nothing without ASan

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

using namespace echomux;

namespace {

[[noreturn]] void fail(const char* what, std::size_t prefix) {
    std::fprintf(stderr, "proxy_header fuzz: %s (prefix of %zu bytes)\n", what, prefix);
    std::abort();
}

bool same(const proxy::Header& a, const proxy::Header& b) {
    return a.status == b.status && a.length == b.length && a.client == b.client && a.error == b.error;
}

// The first n bytes of `bytes` (a heap copy of the input), those after them made unreadable.
proxy::Header parse_prefix(const char* bytes, std::size_t n, std::size_t size) {
    ASAN_UNPOISON_MEMORY_REGION(bytes, n);
    ASAN_POISON_MEMORY_REGION(bytes + n, size - n);
    const proxy::Header h = proxy::parse(bytes, n);
    ASAN_UNPOISON_MEMORY_REGION(bytes, size);
    return h;
}

void check_alone(const proxy::Header& h, std::size_t n) {
    switch (h.status) {
        case proxy::Status::incomplete:
            if (n >= proxy::kMaxHeaderBytes) fail("incomplete at or past kMaxHeaderBytes", n);
            if (h.length != 0 || h.error != proxy::Error::none) fail("incomplete with a length or an error", n);
            break;
        case proxy::Status::complete:
            if (h.length == 0 || h.length > n || h.length > proxy::kMaxHeaderBytes) fail("complete with a bad length", n);
            if (h.error != proxy::Error::none) fail("complete with an error", n);
            break;
        case proxy::Status::not_proxy:
            if (h.length != 0 || h.error != proxy::Error::none) fail("not_proxy with a length or an error", n);
            break;
        case proxy::Status::invalid:
            if (h.error == proxy::Error::none || h.detail.empty()) fail("invalid without a reason", n);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Past the maximum every answer is decided; a little more shows that it stays so.
    if (size > proxy::kMaxHeaderBytes + 64) return 0;
    const std::unique_ptr<char[]> bytes(new char[size ? size : 1]);  // exactly size: ASan sees past it
    if (size) std::memcpy(bytes.get(), data, size);
    const proxy::Header whole = parse_prefix(bytes.get(), size, size);
    check_alone(whole, size);

    bool decided = false;
    for (std::size_t n = 0; n <= size; ++n) {
        const proxy::Header h = n == size ? whole : parse_prefix(bytes.get(), n, size);
        check_alone(h, n);
        if (h.status == proxy::Status::incomplete) {
            if (decided) fail("incomplete again after an answer", n);
            continue;
        }
        decided = true;
        // The first decided answer is final: more bytes never change it.
        if (!same(h, whole)) fail("a prefix's answer differs from the whole input's", n);
    }
    return 0;
}
