// SPDX-License-Identifier: GPL-2.0-or-later
// The core text helpers: trims, the last lines of a tool's output, whole-string
// number parsing.
#include "pgtwin/core/text.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace pgtwin {
namespace {

TEST(Trim, DropsWhiteSpaceAtTheEndsOnly) {
    EXPECT_EQ(trim("  a b \t\r\n"), "a b");
    EXPECT_EQ(trim("\n\t x"), "x");
    EXPECT_EQ(trim(" \r\n "), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim_end("  a b \n"), "  a b");
    EXPECT_EQ(trim_end("postgres\n"), "postgres");
    EXPECT_EQ(trim_end("\n\n"), "");
}

TEST(LastLines, KeepsTheLastNonEmptyLinesJoinedBySeparator) {
    EXPECT_EQ(last_lines("a\nb\n\nc\nd\n", 2, " | "), "c | d");
    EXPECT_EQ(last_lines("a\r\nb\r\n", 5, "; "), "a; b");
    EXPECT_EQ(last_lines("only", 3, "; "), "only");
    EXPECT_EQ(last_lines("\n\n", 2, "; "), "");
    EXPECT_EQ(last_lines("a\nb\nc", 0, "; "), "");
}

TEST(ParseNumber, TakesTheWholeTextOrNothing) {
    EXPECT_EQ(parse_number<int>("42"), 42);
    EXPECT_EQ(parse_number<int>("-7"), -7);
    EXPECT_EQ(parse_number<std::uint32_t>("B374D848", 16), 0xB374D848U);
    EXPECT_EQ(parse_number<int>(""), std::nullopt);
    EXPECT_EQ(parse_number<int>(" 42"), std::nullopt);
    EXPECT_EQ(parse_number<int>("42 "), std::nullopt);
    EXPECT_EQ(parse_number<int>("4x2"), std::nullopt);
    EXPECT_EQ(parse_number<int>("+42"), std::nullopt);
    EXPECT_EQ(parse_number<unsigned>("-1"), std::nullopt);
    EXPECT_EQ(parse_number<std::int8_t>("300"), std::nullopt);  // does not fit
    EXPECT_EQ(parse_number<long long>("9223372036854775807"), 9223372036854775807LL);
}

}  // namespace
}  // namespace pgtwin
