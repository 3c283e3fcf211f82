// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/process_signals.hpp"

#include <vector>

namespace echomux {

namespace {

// Signals whose default action ends the process but that mean nothing to echomux: a stray
// `kill -USR2` or an alarm must not kill a server without a word (nginx ignores or logs
// them too). They are waited for like the others, and the supervisor logs each one.
// Not the faults (SIGSEGV, ...), nor SIGQUIT (asks for a core), nor the job-control stops.
std::vector<int> meaningless_signals(int loop_ended) {
    std::vector<int> signals = {SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT};
    for (int sig = loop_ended + 1; sig <= SIGRTMAX; ++sig) signals.push_back(sig);
    return signals;
}

}  // namespace

ProcessSignals::ProcessSignals() : loop_ended_(SIGRTMIN), waiter_(::pthread_self()) {
    std::vector<int> answered = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
    for (int sig : meaningless_signals(loop_ended_)) answered.push_back(sig);
    sigemptyset(&wake_signals_);
    for (int sig : answered) sigaddset(&wake_signals_, sig);
    sigaddset(&wake_signals_, loop_ended_);
    ::pthread_sigmask(SIG_BLOCK, &wake_signals_, nullptr);
    // As PID 1 in a container, a signal whose action is the default may be dropped before
    // it is queued; a handler (never run: the signals stay blocked) rules that out.
    struct sigaction noop {};
    noop.sa_handler = [](int) {};
    for (int sig : answered) ::sigaction(sig, &noop, nullptr);
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
