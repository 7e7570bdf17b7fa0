// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Clock: the one source of time, so tests can use a FakeClock.

#include <chrono>

namespace pgtwin {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

// Monotonic time and sleeping; real or fake.
class Clock {
public:
    virtual ~Clock() = default;
    // Current monotonic time.
    virtual SteadyTime now() const = 0;
    // Sleeps (or, for a fake, advances time) by `d`.
    virtual void sleep_for(Millis d) = 0;
};

// The process-wide real steady clock.
class SystemClock final : public Clock {
public:
    SteadyTime now() const override { return std::chrono::steady_clock::now(); }
    void sleep_for(Millis d) override;
};

}  // namespace pgtwin
