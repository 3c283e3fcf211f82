// SPDX-License-Identifier: BSL-1.0
// How the open file limit is shared out: every connection is a descriptor, so echo
// connections, metrics sessions and a reserve for the process itself must all fit, or an
// echo flood would take the descriptor /healthz needs (and silent scrapers the echo ones).
// Pure arithmetic on a limit passed in; raise_open_file_limit() is the only system call.
#pragma once

#include "echomux/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace echomux {

class DescriptorBudget {
public:
    // `open_files`: the soft RLIMIT_NOFILE; nullopt when there is none (or it cannot be read).
    // `config` is the main listener's (and the whole server's); the other listeners' loops
    // take descriptors of their own.
    DescriptorBudget(const Config& config, std::optional<std::uint64_t> open_files,
                     const std::vector<Config>& other_listeners = {});

    // Kept out of the echo connections' budget: stdio, each loop's own descriptors, spares.
    std::uint64_t reserve() const { return reserve_; }
    // One per metrics session (metrics_max_connections), when the endpoint is on.
    std::uint64_t metrics() const { return metrics_; }
    // Echo connections the limit has room for after metrics and the reserve: what
    // SharedState::descriptor_budget holds (SIZE_MAX without a limit).
    std::size_t echo_connections() const;
    // The configuration to serve with: max_connections lowered to what fits, with a logged
    // warning, so max_connections is never a lie. Throws std::runtime_error (one clear line)
    // when not even one connection fits.
    Config fitted() const;

private:
    Config config_;
    std::optional<std::uint64_t> open_files_;
    std::uint64_t reserve_;
    std::uint64_t metrics_;
};

// Raises the soft open file limit to the hard one, as servers usually do (the default soft
// limit, often 1024, would make max_connections a lie), and returns the soft limit now in
// force: nullopt when unlimited or unreadable.
std::optional<std::uint64_t> raise_open_file_limit();

}  // namespace echomux
