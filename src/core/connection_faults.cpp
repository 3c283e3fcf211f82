// SPDX-License-Identifier: BSL-1.0
// A Connection's faults on purpose (issue 23): what it does when a fault's byte count is
// sent, and the one timer it keeps in its Service for the rest (a lifetime's end, delayed or
// paced bytes that may go).
#include "echomux/core/connection.hpp"

#include <optional>

namespace echomux {

// Once the fault's bytes are out (off the transport too: an io_uring send may be in flight).
Connection::Next Connection::act_on_fault() {
    switch (fault_.action) {
        case FaultPlan::Action::none: break;
        case FaultPlan::Action::reset: return end_for(End::fault_reset);
        case FaultPlan::Action::stall:
            state_ = State::stalled;  // pending_ stays, bounded as ever; idle_timeout still ends it
            return Next::wait;
        case FaultPlan::Action::close:
            begin_discarding();
            if (peer_finished_) return end_for(End::fault_close);
            break;
    }
    return Next::wait;
}

void Connection::begin_discarding() {
    state_ = State::discarding;
    pending_.consume(pending_.size());
    std::string().swap(held_);
    fin_once_flushed();
}

// A lifetime can end while a completion transport's send is in flight: our FIN waits for it
// (finish_callback, at its writable()), as every FIN does; io_uring's shutdown_write() would
// otherwise cut the send short, and the connection would end as a reset (EPIPE).
void Connection::fin_once_flushed() {
    if (fin_sent_ || !transport_.flushed()) return;
    transport_.shutdown_write();
    fin_sent_ = true;
}

void Connection::on_fault_timer() {
    const bool lifetime_due = fault_.lifetime_action != FaultPlan::Action::none && !lifetime_over_ &&
                              service_.loop_time_ms() - started_ms_ > fault_.lifetime_ms;
    if (lifetime_due) {
        lifetime_over_ = true;
        if (fault_.lifetime_action == FaultPlan::Action::reset) return close(End::fault_reset);
        if (state_ == State::discarding) return arm_fault_timer();  // closed by its byte count already
        if (peer_finished_ || state_ == State::awaiting_header) return close(End::fault_close);
        begin_discarding();
    }
    arm_fault_timer();
    transport_.call_soon();  // the loop resumes it: bytes go out, or what it watches changes
}

// The clock counts whole milliseconds: bytes read now arrived before the next one, and a
// fault's time counts from there, so that none acts a fraction of a millisecond early.
long long Connection::arrived_by() const {
    return fault_.delay_ms > 0 || fault_.jitter_ms > 0 ? service_.now_ms() + 1 : service_.loop_time_ms();
}

void Connection::arm_fault_timer() {
    std::optional<long long> at;
    if (fault_.lifetime_action != FaultPlan::Action::none && !lifetime_over_) at = started_ms_ + 1 + fault_.lifetime_ms;
    if (pacing_ && (state_ == State::open || state_ == State::half_closed)) {
        const auto paced = pacing_->next_ms(service_.loop_time_ms());
        if (paced && (!at || *paced < *at)) at = paced;
    }
    if (at) service_.set_timer(fault_timer_, *this, *at);
    else service_.cancel_timer(fault_timer_);
}

}  // namespace echomux
