// SPDX-License-Identifier: GPL-2.0-or-later
// SystemClock: the real steady clock and sleep.

#include "pgtwin/core/clock.hpp"

#include <thread>

namespace pgtwin {

void SystemClock::sleep_for(Millis d) { std::this_thread::sleep_for(d); }

}  // namespace pgtwin
