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
    clock.advance(Millis{700});
    EXPECT_TRUE(d.expired());
}

}  // namespace
}  // namespace pgtwin
