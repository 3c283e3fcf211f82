// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/process_signals.hpp"

namespace echomux {

ProcessSignals::ProcessSignals() : loop_ended_(SIGRTMIN), waiter_(::pthread_self()) {
    sigemptyset(&wake_signals_);
    for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGHUP, loop_ended_}) sigaddset(&wake_signals_, sig);
    ::pthread_sigmask(SIG_BLOCK, &wake_signals_, nullptr);
    // As PID 1 in a container, a signal whose action is the default may be dropped before
    // it is queued; a handler (never run: the signals stay blocked) rules that out.
    struct sigaction noop {};
    noop.sa_handler = [](int) {};
    for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) ::sigaction(sig, &noop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // belt and braces: sends already use MSG_NOSIGNAL
}

int ProcessSignals::wait(std::optional<long long> timeout_ms) {
    int sig;
    if (timeout_ms) {
        const long long ms = *timeout_ms > 0 ? *timeout_ms : 0;
        const timespec wait{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
        sig = ::sigtimedwait(&wake_signals_, nullptr, &wait);
    } else {
        sig = ::sigwaitinfo(&wake_signals_, nullptr);
    }
    return sig < 0 || sig == loop_ended_ ? 0 : sig;  // timed out, EINTR, or a loop ended
}

void ProcessSignals::wake() { ::pthread_kill(waiter_, loop_ended_); }

}  // namespace echomux
