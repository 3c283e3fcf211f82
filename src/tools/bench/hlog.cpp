// SPDX-License-Identifier: BSL-1.0
#include "hlog.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace echomux::bench {
namespace {

// HdrHistogram_c's V2_ENCODING_COOKIE and V2_COMPRESSION_COOKIE: the V2 bases | 0x10.
constexpr std::uint32_t kEncodingCookie = 0x1c849303 | 0x10;     // V2, uncompressed
constexpr std::uint32_t kCompressionCookie = 0x1c849304 | 0x10;  // V2, zlib ("HISTF..." in base64)
constexpr std::size_t kHeader = 40;                       // the V2 encoding's fixed fields

void put32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void put64(std::string& out, std::uint64_t v) {
    put32(out, static_cast<std::uint32_t>(v >> 32));
    put32(out, static_cast<std::uint32_t>(v));
}
std::uint64_t get(const std::string& in, std::size_t at, int bytes) {
    if (at + static_cast<std::size_t>(bytes) > in.size()) throw std::runtime_error("histogram encoding cut short");
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

// HdrHistogram's ZigZag LEB128: 7 bits a byte for eight bytes, then a ninth of 8 bits.
void put_zigzag(std::string& out, std::int64_t signed_value) {
    std::uint64_t v = (static_cast<std::uint64_t>(signed_value) << 1) ^ static_cast<std::uint64_t>(signed_value >> 63);
    for (int i = 0; i < 8; ++i) {
        if ((v >> 7) == 0) {
            out += static_cast<char>(v);
            return;
        }
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}
std::int64_t get_zigzag(const std::string& in, std::size_t& at) {
    std::uint64_t v = 0;
    for (int i = 0; i < 9; ++i) {
        if (at >= in.size()) throw std::runtime_error("histogram counts cut short");
        const auto byte = static_cast<unsigned char>(in[at++]);
        v |= static_cast<std::uint64_t>(i == 8 ? byte : byte & 0x7f) << (7 * i);
        if (i < 8 && !(byte & 0x80)) break;
    }
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}
std::string unbase64(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0) throw std::runtime_error("not base64");
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw std::runtime_error("not base64");
    // EVP_DecodeBlock keeps the padding's zero bytes.
    std::size_t padding = 0;
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace

std::string encode_histogram(const Histogram& h) {
    std::string counts;
    const auto& c = h.counts();
    for (std::size_t i = 0; i < c.size();) {
        if (c[i] != 0) {
            put_zigzag(counts, static_cast<std::int64_t>(c[i++]));
            continue;
        }
        std::int64_t zeros = 0;
        while (i < c.size() && c[i] == 0) ++zeros, ++i;
        if (i == c.size()) break;  // trailing zeros are left out (HdrHistogram stops at the max)
        put_zigzag(counts, -zeros);
    }
    std::string plain;
    put32(plain, kEncodingCookie);
    put32(plain, static_cast<std::uint32_t>(counts.size()));
    put32(plain, 0);  // normalizing index offset
    put32(plain, Histogram::kSignificantFigures);
    put64(plain, Histogram::kLowest);
    put64(plain, Histogram::kHighest);
    double ratio = 1.0;  // integer to double conversion ratio
    std::uint64_t ratio_bits = 0;
    std::memcpy(&ratio_bits, &ratio, sizeof ratio);
    put64(plain, ratio_bits);
    plain += counts;
    uLongf packed_size = compressBound(static_cast<uLong>(plain.size()));
    std::string packed(packed_size, '\0');
    if (compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(plain.data()),
                 static_cast<uLong>(plain.size())) != Z_OK)
        throw std::runtime_error("zlib could not compress a histogram");
    packed.resize(packed_size);
    std::string out;
    put32(out, kCompressionCookie);
    put32(out, static_cast<std::uint32_t>(packed.size()));
    return base64(out + packed);
}

Histogram decode_histogram(const std::string& text) {
    const std::string bytes = unbase64(text);
    if (get(bytes, 0, 4) != kCompressionCookie) throw std::runtime_error("not a V2 compressed histogram");
    const auto packed_size = static_cast<std::size_t>(get(bytes, 4, 4));
    if (8 + packed_size > bytes.size()) throw std::runtime_error("compressed histogram cut short");
    // The plain encoding is at most the header and nine bytes per count.
    uLongf plain_size = kHeader + 9 * static_cast<uLongf>(Histogram::index_of(Histogram::kHighest) + 1);
    std::string plain(plain_size, '\0');
    if (uncompress(reinterpret_cast<Bytef*>(plain.data()), &plain_size, reinterpret_cast<const Bytef*>(bytes.data() + 8),
                   static_cast<uLong>(packed_size)) != Z_OK)
        throw std::runtime_error("zlib could not uncompress a histogram");
    plain.resize(plain_size);
    if (get(plain, 0, 4) != kEncodingCookie) throw std::runtime_error("not a V2 histogram encoding");
    const auto payload = static_cast<std::size_t>(get(plain, 4, 4));
    if (get(plain, 8, 4) != 0 || get(plain, 12, 4) != Histogram::kSignificantFigures || get(plain, 16, 8) != Histogram::kLowest ||
        get(plain, 24, 8) != Histogram::kHighest)
        throw std::runtime_error("a histogram of other precision or bounds (3 significant digits, 1 ns to 1 h only)");
    if (kHeader + payload > plain.size()) throw std::runtime_error("histogram counts cut short");
    const std::string counts = plain.substr(0, kHeader + payload);
    Histogram h;
    int index = 0;
    const int limit = Histogram::index_of(Histogram::kHighest);
    for (std::size_t at = kHeader; at < counts.size();) {
        const std::int64_t v = get_zigzag(counts, at);
        if (v < 0) index += static_cast<int>(-v);
        else if (v > 0) h.record(Histogram::value_at_index(index++), static_cast<std::uint64_t>(v));
        else ++index;
        if (index > limit + 1) throw std::runtime_error("histogram counts beyond its highest value");
    }
    return h;
}

std::string hlog(const std::vector<LoggedInterval>& intervals, double start_time) {
    std::string out = "#[Histogram log format version 1.3]\n";
    char line[160];
    const auto whole = static_cast<std::time_t>(start_time);
    std::tm utc{};
    ::gmtime_r(&whole, &utc);
    char when[64];
    std::strftime(when, sizeof when, "%a %b %d %H:%M:%S UTC %Y", &utc);
    std::snprintf(line, sizeof line, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_time, when);
    out += line;
    out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
    for (const auto& i : intervals) {
        std::snprintf(line, sizeof line, "%.3f,%.3f,%.3f,", i.start, i.length, static_cast<double>(i.histogram.max()) / 1e6);
        out += line + encode_histogram(i.histogram) + "\n";
    }
    return out;
}

std::vector<LoggedInterval> read_hlog(const std::string& text) {
    std::vector<LoggedInterval> intervals;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#' || line[0] == '"') continue;
        LoggedInterval i;
        std::istringstream fields(line);
        std::string start, length, max, encoded;
        if (!std::getline(fields, start, ',') || !std::getline(fields, length, ',') || !std::getline(fields, max, ',') ||
            !std::getline(fields, encoded))
            throw std::runtime_error("not an interval line: " + line.substr(0, 60));
        i.start = std::stod(start);
        i.length = std::stod(length);
        i.histogram = decode_histogram(encoded);
        intervals.push_back(std::move(i));
    }
    return intervals;
}

void write_hlog(const std::string& path, const std::vector<LoggedInterval>& intervals, double start_time) {
    std::ofstream file(path);
    file << hlog(intervals, start_time);
    if (!file.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace echomux::bench
