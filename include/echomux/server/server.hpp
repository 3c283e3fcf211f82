// SPDX-License-Identifier: BSL-1.0
// The whole server process: listeners, one event loop per thread, signals, draining.
#pragma once

#include "echomux/server/config.hpp"

#include <functional>

namespace echomux {

// Serves `loaded` until SIGTERM/SIGINT and a finished drain; on SIGHUP, `load_again` reads
// the settings as at start. Returns the process exit status: 0 after a drain, 1 when the
// server cannot start or an event loop failed (the others drain first). A second signal
// exits at once with 128 + signal number.
int run_server(const LoadedConfig& loaded, const std::function<LoadedConfig()>& load_again);

}  // namespace echomux
