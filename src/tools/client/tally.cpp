// SPDX-License-Identifier: BSL-1.0
#include "tally.hpp"

#include "tools/greeting.hpp"
#include "tools/reach_host.hpp"

#include "echomux/util/printable.hpp"

#include <boost/program_options/errors.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>

namespace echomux::client {
namespace po = boost::program_options;
namespace {

// A replica as it shows itself: its greeting lines and the prefix before each echo.
std::string replica_name(const std::vector<std::string>& greeting, const std::string& prefix) {
    std::string name;
    for (const auto& line : greeting) name += (name.empty() ? "" : " | ") + printable(line);
    if (!prefix.empty()) name += (name.empty() ? "" : ", ") + std::string("prefix '") + printable(prefix) + "'";
    return name.empty() ? "(no greeting, no prefix: replicas not told apart)" : name;
}

// One TCP connection: the probe line's answer shows the greeting and the prefix together.
std::string tcp_replica(Options o) {
    o.greeting_lines = 0;  // the probe reads the greeting, whatever its length
    Session s = open_session(o, true);
    const tools::ProbeAnswer answer = tools::probe(*s.stream, o.timeout);
    return replica_name(answer.greeting, answer.prefix);
}

// One datagram from a socket of its own: the reply is the prefix, then the datagram.
std::string udp_replica(const Options& o, int i) {
    const auto address = tools::resolve_host(o.host, static_cast<std::uint16_t>(o.port), SOCK_DGRAM).front();
    Fd fd(::socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd || ::connect(fd.get(), address.get(), address.length) != 0)
        throw ClientError(std::string("cannot open a UDP socket: ") + std::strerror(errno));
    const std::string sent = "echomux-client tally " + std::to_string(i);
    if (::send(fd.get(), sent.data(), sent.size(), 0) < 0) throw io_error(o, "sending a datagram");
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(o.timeout * 1000)) <= 0)
        throw ClientError("no reply within " + seconds_text(o.timeout) + " s");
    char reply[65536];
    const ssize_t n = ::recv(fd.get(), reply, sizeof reply, 0);
    if (n < 0) throw io_error(o, "waiting for the reply");
    const std::string got(reply, static_cast<std::size_t>(n));
    if (got.size() < sent.size() || got.compare(got.size() - sent.size(), sent.size(), sent) != 0)
        throw ClientError("a reply that does not end with the datagram sent: '" + printable(got) + "'");
    return replica_name({}, got.substr(0, got.size() - sent.size()));
}

}  // namespace

po::options_description tally_options(TallyOptions& t) {
    po::options_description desc;
    desc.add_options()("count,n", po::value(&t.count)->default_value(t.count),
                       "tally: connections to open (datagrams with --udp), one after another")(
        "udp", po::bool_switch(&t.udp), "tally: send datagrams, each from a socket of its own, and tell replicas by prefix");
    return desc;
}

void check_tally_options(const TallyOptions& t) {
    if (t.count < 1 || t.count > 100000) throw po::error("--count must be from 1 to 100000");
}

int tally(const Options& o, const TallyOptions& t) {
    std::map<std::string, int> answered;
    std::map<std::string, int> failures;
    for (int i = 0; i < t.count; ++i) {  // bounded: each attempt is bounded by --timeout
        try {
            ++answered[t.udp ? udp_replica(o, i) : tcp_replica(o)];
        } catch (const std::exception& e) {
            ++failures[e.what()];
        }
    }
    int failed = 0;
    for (const auto& [why, n] : failures) failed += n;
    std::vector<std::pair<int, std::string>> rows;
    for (const auto& [name, n] : answered) rows.emplace_back(n, name);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    std::printf("tally: %d %s to %s port %d: %d answered by %zu replica(s), %d failed\n", t.count,
                t.udp ? "datagrams" : "connections", o.host.c_str(), o.port, t.count - failed, rows.size(), failed);
    for (const auto& [n, name] : rows)
        std::printf("%8d  %5.1f %%  %s\n", n, 100.0 * n / t.count, name.c_str());
    if (!rows.empty()) {
        // Skew: the busiest replica's count over an even share of what was answered; 1.00 is even.
        const double even = static_cast<double>(t.count - failed) / static_cast<double>(rows.size());
        std::printf("skew: %.2f (the busiest replica's count over an even share; least %d, most %d)\n",
                    rows.front().first / even, rows.back().first, rows.front().first);
    }
    for (const auto& [why, n] : failures) std::fprintf(stderr, "echomux-client: %d failed: %s\n", n, why.c_str());
    return failed > 0 ? 1 : 0;
}

}  // namespace echomux::client
