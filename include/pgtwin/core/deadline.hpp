// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Deadline: the end of the current operation's time budget. Every command
// timeout and wait loop takes its time from one of these.

#include <algorithm>

#include "pgtwin/core/clock.hpp"

namespace pgtwin {

// An absolute point in time after which the operation must have returned.
class Deadline {
public:
    // A deadline `budget` from now on `clock`.
    Deadline(const Clock& clock, Millis budget) : m_clock(&clock), m_end(clock.now() + budget) {}

    // Time left, never negative.
    Millis remaining() const {
        auto left = std::chrono::duration_cast<Millis>(m_end - m_clock->now());
        return std::max(left, Millis{0});
    }
    bool expired() const { return remaining() <= Millis{0}; }
    // Time left but at most `cap` (for one step of a longer operation).
    Millis remaining_capped(Millis cap) const { return std::min(remaining(), cap); }
    // A deadline that ends `margin` earlier than this one (not before now).
    Deadline shortened(Millis margin) const {
        Deadline d = *this;
        d.m_end = std::max(m_clock->now(), m_end - margin);
        return d;
    }
    // The earlier of this deadline and `cap` from now.
    Deadline capped(Millis cap) const {
        Deadline d = *this;
        d.m_end = std::min(m_end, m_clock->now() + cap);
        return d;
    }
    const Clock& clock() const { return *m_clock; }

private:
    const Clock* m_clock;
    SteadyTime m_end;
};

}  // namespace pgtwin
