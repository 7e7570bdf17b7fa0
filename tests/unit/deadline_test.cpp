// SPDX-License-Identifier: GPL-2.0-or-later
// Deadline on the fake clock: remaining, capped, shortened.

#include <gtest/gtest.h>

#include "fakes.hpp"
#include "pgtwin/core/deadline.hpp"

namespace pgtwin {
namespace {

TEST(Deadline, CountsDownOnTheFakeClock) {
    testing::FakeClock clock;
    Deadline d(clock, Millis{1000});
    clock.advance(Millis{400});
    EXPECT_EQ(d.remaining(), Millis{600});
    EXPECT_EQ(d.shortened(Millis{500}).remaining(), Millis{100});
    EXPECT_EQ(d.capped(Millis{50}).remaining(), Millis{50});
    EXPECT_EQ(d.capped(Millis{5000}).remaining(), Millis{600});
    clock.advance(Millis{700});
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(d.remaining(), Millis{0});
    EXPECT_EQ(d.shortened(Millis{10}).remaining(), Millis{0});
}

}  // namespace
}  // namespace pgtwin
