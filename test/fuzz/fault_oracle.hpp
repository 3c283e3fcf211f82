// SPDX-License-Identifier: BSL-1.0
// The connection fuzz target's oracle for the faults on purpose (config.hpp): what each fault
// lets a Connection send, and when, on the manual clock. It knows the settings as the input
// gave them and the time each byte of the model's answer arrived, never the core's own
// bookkeeping (pacing.hpp, the fault timer). After every event:
//   delay      no byte leaves before it arrived + 1 ms + max(0, delay - jitter) (the clock
//              counts whole ms: never a fraction early); the greeting is not delayed
//   bandwidth  a bucket of max(1, bandwidth / 100) bytes, full at the start, refilled at
//              bandwidth bytes a second, and each byte sent takes one: counted in thousandths
//              of a byte, so the bound is exact, not loose
//   byte fault never more than N bytes sent; once N are sent and off the transport (no
//              lifetime over first): close: our FIN at N, and closed once the peer's came;
//              reset: closed with an RST; stall: nothing watched, nothing more sent
//   lifetime   E = start + 1 + ms: nothing sent at E or later; from the tick at E on, reset:
//              closed with an RST; close: closed, or our FIN once no send is in flight
// A FIN, an RST or a fault's close counted at any other time is a failure.
#pragma once

#include "echomux/core/connection.hpp"
#include "echomux/core/fault_plan.hpp"
#include "scripted_transport.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace echomux::fuzz {

// The fault keys as the input set them, in the units the oracle counts in.
struct FaultKeys {
    FaultPlan::Action action = FaultPlan::Action::none;  // close/reset/stall_after_bytes
    std::uint64_t after_bytes = 0;
    FaultPlan::Action lifetime_action = FaultPlan::Action::none;  // close_after / reset_after
    long long lifetime_ms = 0, delay_ms = 0, jitter_ms = 0;
    std::uint64_t bandwidth = 0;
    bool chosen = true;  // the connection drew the byte and lifetime faults (fault_probability)
};

class FaultOracle {
public:
    using Action = FaultPlan::Action;

    FaultOracle(const FaultKeys& keys, long long start_ms)
        : k_(keys), start_ms_(start_ms), bucket_(burst() * 1000), bucket_ms_(start_ms) {
        spared_ = !k_.chosen && (k_.action != Action::none || k_.lifetime_action != Action::none);
        if (!k_.chosen) k_.action = k_.lifetime_action = Action::none;
    }

    bool paced() const { return k_.delay_ms > 0 || k_.jitter_ms > 0 || k_.bandwidth > 0; }
    bool lifetime_over(long long now_ms) const {
        return k_.lifetime_action != Action::none && now_ms >= start_ms_ + 1 + k_.lifetime_ms;
    }
    // A fault has acted (or its point is reached): the rest of the answer is never sent.
    bool cut(long long now_ms, std::size_t wire) const {
        return (k_.action != Action::none && wire == k_.after_bytes) || lifetime_over(now_ms);
    }
    // What only time will bring: delayed or paced bytes, or a lifetime's end still to check.
    bool waits(long long now_ms, std::size_t wire, std::size_t answer) const {
        if (k_.lifetime_action != Action::none && !lifetime_over(now_ms)) return true;
        return paced() && !cut(now_ms, wire) && wire < answer;
    }

    // The answer's next n bytes came from bytes that arrived at now_ms (or are the greeting).
    void answered(std::size_t n, long long now_ms, bool greeting = false) {
        if (n == 0) return;
        const bool delayed = !greeting && (k_.delay_ms > 0 || k_.jitter_ms > 0);
        const long long earliest = delayed ? now_ms + 1 + std::max(0LL, k_.delay_ms - k_.jitter_ms) : LLONG_MIN;
        answer_ += n;
        runs_.push_back({answer_, earliest});
    }

    // The transport was given the answer's bytes [from, to) at now_ms (a prefix of it: checked before).
    void sent(std::size_t from, std::size_t to, long long now_ms) {
        if (to == from) return;
        if (lifetime_over(now_ms)) fail("connection", "a byte sent at or after the lifetime's end");
        if (k_.action != Action::none && to > k_.after_bytes) fail("connection", "more sent than the byte fault's N");
        for (std::size_t at = from; at < to; at = runs_[run_].end) {
            while (runs_[run_].end <= at) ++run_;
            if (runs_[run_].earliest > now_ms) fail("connection", "a delayed byte sent before arrival + 1 ms + delay - jitter");
        }
        if (k_.bandwidth == 0) return;
        const long long rate = static_cast<long long>(k_.bandwidth);
        bucket_ = std::min(burst() * 1000, bucket_ + (now_ms - bucket_ms_) * rate);
        bucket_ms_ = now_ms;
        bucket_ -= static_cast<long long>(to - from) * 1000;
        if (bucket_ < 0) fail("connection", "more sent than bandwidth allows (its rate over the time, and one bucket)");
    }

    // After every event: FIN, RST and the faults' end states against what is due at now_ms.
    void check(const ScriptedTransport& t, const Connection& c, const Stats& stats, long long now_ms, bool closed,
               bool peer_fin, std::size_t answer) {
        const bool lifetime_close = k_.lifetime_action == Action::close && lifetime_over(now_ms);
        const bool lifetime_reset = k_.lifetime_action == Action::reset && lifetime_over(now_ms);
        if (t.fin && !fin_seen_) {  // judged as it happens: a discarding connection reads on
            fin_seen_ = true;
            const bool after_all = peer_fin && t.wire_at_fin == answer;
            const bool byte_close = k_.action == Action::close && t.wire_at_fin == k_.after_bytes;
            if (!after_all && !byte_close && !lifetime_close)
                fail("connection", "our FIN before the peer's and all of the answer, and no fault's due");
        }
        if (t.aborted && !(lifetime_reset || (k_.action == Action::reset && t.wire.size() == k_.after_bytes)))
            fail("connection", "an RST with no reset fault due");
        if (stats.closed_fault_reset.get() != (t.aborted ? 1u : 0u)) fail("connection", "fault resets counted differ from the RSTs");
        if (stats.closed_fault_close.get() > 0 && !fin_seen_ && !lifetime_close)
            fail("connection", "a fault close counted with no FIN and no close_after over");

        if (k_.action != Action::none && t.wire.size() == k_.after_bytes && t.in_flight == 0 && !lifetime_over(now_ms)) {
            switch (k_.action) {
                case Action::close:
                    if (!t.fin) fail("connection", "close_after_bytes: N bytes sent, yet no FIN");
                    if (peer_fin && !closed) fail("connection", "close_after_bytes: the peer's FIN came, yet still open");
                    break;
                case Action::reset:
                    if (!closed || !t.aborted) fail("connection", "reset_after_bytes: N bytes sent, yet no RST");
                    break;
                case Action::stall:
                    if (!closed && (c.interest().read || c.interest().write || c.read_room() != 0))
                        fail("connection", "stall_after_bytes: N bytes sent, yet still reading or writing");
                    break;
                case Action::none: break;
            }
        }
        if (lifetime_reset && (!closed || (!t.aborted && stats.closed_idle.get() == 0)))
            fail("connection", "reset_after: over, yet no RST");
        if (lifetime_close && !closed && !t.fin && t.in_flight == 0)
            fail("connection", "close_after: over, yet neither closed nor our FIN");
    }

    // For a trace: "delay 51+-0 ms, close_after_bytes 20", "none", "... not drawn" for a connection spared.
    std::string names() const {
        std::string out;
        const auto add = [&out](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
        if (k_.delay_ms > 0 || k_.jitter_ms > 0) add("delay " + std::to_string(k_.delay_ms) + "+-" + std::to_string(k_.jitter_ms) + " ms");
        if (k_.bandwidth > 0) add("bandwidth " + std::to_string(k_.bandwidth));
        const char* bytes[] = {"", "close_after_bytes ", "reset_after_bytes ", "stall_after_bytes "};
        if (k_.action != Action::none) add(bytes[static_cast<int>(k_.action)] + std::to_string(k_.after_bytes));
        if (k_.lifetime_action != Action::none)
            add((k_.lifetime_action == Action::close ? "close_after " : "reset_after ") + std::to_string(k_.lifetime_ms) + " ms");
        if (spared_) add("byte or lifetime fault not drawn");
        return out.empty() ? "none" : out;
    }

private:
    long long burst() const { return std::max<long long>(1, static_cast<long long>(k_.bandwidth / 100)); }

    struct Run {
        std::size_t end;     // the answer's bytes up to here...
        long long earliest;  // ...may not be sent before this ms
    };
    FaultKeys k_;
    long long start_ms_;
    std::vector<Run> runs_;
    std::size_t run_ = 0;  // the run of the first byte not sent yet
    std::size_t answer_ = 0;
    long long bucket_;  // bandwidth: thousandths of a byte that may go, at bucket_ms_
    long long bucket_ms_;
    bool fin_seen_ = false;
    bool spared_ = false;  // fault_probability spared this connection its byte or lifetime fault
};

}  // namespace echomux::fuzz
