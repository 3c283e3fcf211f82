// SPDX-License-Identifier: BSL-1.0
// The process's signals, taken synchronously (sigtimedwait) by the thread that made this
// object, never by the event loop threads: SIGTERM and SIGINT (drain), SIGHUP (reload),
// SIGUSR1 (log the counters), and those that would end the process by default but mean
// nothing to echomux (SIGUSR2, SIGALRM, ...: the supervisor logs and ignores them). A loop
// that ends wakes the waiting thread with a real-time signal, so it sleeps until something
// happens instead of polling.
#pragma once

#include "echomux/server/signal_source.hpp"

#include <pthread.h>
#include <signal.h>

namespace echomux {

class ProcessSignals final : public SignalSource {
public:
    // Blocks the signals in this thread, so make it before any other thread starts: they
    // inherit the mask. Also ignores SIGPIPE (SIGWINCH, SIGCHLD, SIGURG are ignored by default).
    ProcessSignals();
    int wait(std::optional<long long> timeout_ms) override;
    void wake() override;

private:
    const int loop_ended_;  // SIGRTMIN: glibc decides its number at run time
    const pthread_t waiter_;
    sigset_t wake_signals_;
};

}  // namespace echomux
