// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/descriptor_budget.hpp"

#include "echomux/util/log.hpp"

#include <sys/resource.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace echomux {
namespace {

// Measured: 3 stdio, 4 per asio loop (listener, epoll, eventfd, timerfd; native loops use
// fewer) and its UDP socket with udp = on, 4 for the metrics thread (acceptor, epoll,
// eventfd, timerfd). Spares: one per loop to accept and close a connection over
// max_connections, one for a metrics newcomer accepted before the session it replaces is
// closed. The rest is slack for descriptors inherited from whoever started us.
// Each listener has `threads` loops of its own.
std::uint64_t reserved_descriptors(const Config& config, const std::vector<Config>& others) {
    const auto loops = [](const Config& c) { return (c.udp ? 9 : 8) * static_cast<std::uint64_t>(c.threads); };
    std::uint64_t reserve = 16 + loops(config);
    for (const Config& other : others) reserve += loops(other);
    return reserve;
}

}  // namespace

DescriptorBudget::DescriptorBudget(const Config& config, std::optional<std::uint64_t> open_files,
                                   const std::vector<Config>& other_listeners)
    : config_(config),
      open_files_(open_files),
      reserve_(reserved_descriptors(config, other_listeners)),
      metrics_(config.metrics_port != 0 ? config.metrics_max_connections : 0) {}

std::size_t DescriptorBudget::echo_connections() const {
    if (!open_files_) return SIZE_MAX;
    const std::uint64_t taken = reserve_ + metrics_;
    return *open_files_ > taken ? static_cast<std::size_t>(*open_files_ - taken) : 0;
}

Config DescriptorBudget::fitted() const {
    const std::uint64_t needed = config_.max_connections + metrics_ + reserve_;
    if (!open_files_ || *open_files_ >= needed) return config_;
    const std::uint64_t limit = *open_files_;
    const std::string parts =
        (metrics_ ? "metrics " + std::to_string(metrics_) + " + " : "") + "reserve " + std::to_string(reserve_);
    if (limit < metrics_ + reserve_ + 1)
        throw std::runtime_error("open file limit " + std::to_string(limit) + " < " +
                                 std::to_string(metrics_ + reserve_ + 1) + " needed for one connection (" + parts +
                                 " + 1): raise it (ulimit -n)");
    Config fitted = config_;
    fitted.max_connections = limit - metrics_ - reserve_;
    log::warn("open file limit ", limit, " < ", needed, " needed (max_connections ", config_.max_connections, " + ",
              parts, "): serving at most ", fitted.max_connections, " connections");
    return fitted;
}

std::optional<std::uint64_t> raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
    return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace echomux
