// SPDX-License-Identifier: BSL-1.0
// What the supervisor sleeps on: the next signal it answers, a loop that ended, or the end
// of a wait it asked for (shutdown_delay). ProcessSignals is the process's own; a test
// hands the supervisor one it scripts.
#pragma once

#include <optional>

namespace echomux {

class SignalSource {
public:
    virtual ~SignalSource() = default;
    // Blocks until a signal arrives (returns its number), wake() is called or `timeout_ms`
    // has passed (both return 0). Without a timeout, only the first two end the wait.
    virtual int wait(std::optional<long long> timeout_ms) = 0;
    // From any thread: ends the wait in progress, or else the next one, at once.
    virtual void wake() = 0;
};

}  // namespace echomux
