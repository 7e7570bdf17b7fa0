// SPDX-License-Identifier: GPL-2.0-or-later
// LSN parsing and formatting.

#include "pgtwin/pg/lsn.hpp"

#include <gtest/gtest.h>

namespace pgtwin::pg {
namespace {

TEST(Lsn, ParsesBothHalves) {
    auto l = Lsn::parse("16/B374D848");
    ASSERT_TRUE(l.has_value());
    EXPECT_EQ(l->value, (std::uint64_t{0x16} << 32U) | 0xB374D848U);
}

TEST(Lsn, ParsesZeroAndLowerCase) {
    EXPECT_EQ(Lsn::parse("0/0")->value, 0U);
    EXPECT_EQ(Lsn::parse("a/ff")->value, (std::uint64_t{0xA} << 32U) | 0xFFU);
    EXPECT_EQ(Lsn::parse("FFFFFFFF/FFFFFFFF")->value, ~std::uint64_t{0});
}

TEST(Lsn, RejectsMalformed) {
    for (const char* bad :
         {"", "/", "0/", "/0", "12", "0x1/0", "1/2/3", "G/0", "-1/0", "1/ 2", "123456789/0", "0/100000000", "1/2 "}) {
        EXPECT_FALSE(Lsn::parse(bad).has_value()) << bad;
    }
}

TEST(Lsn, FormatsLikePostgres) {
    EXPECT_EQ(Lsn{0}.str(), "0/0");
    EXPECT_EQ(Lsn{0x3010978}.str(), "0/3010978");
    EXPECT_EQ(Lsn::parse("16/b374d848")->str(), "16/B374D848");
}

TEST(Lsn, RoundTrips) {
    for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{0x100000000}, std::uint64_t{0xDEADBEEFCAFE}}) {
        EXPECT_EQ(Lsn::parse(Lsn{v}.str())->value, v);
    }
}

TEST(Lsn, OrdersNumericallyNotTextually) {
    EXPECT_LT(*Lsn::parse("0/9000000"), *Lsn::parse("0/10000000"));
    EXPECT_LT(*Lsn::parse("0/FFFFFFFF"), *Lsn::parse("1/0"));
}

TEST(Lsn, WalPositionComparesTimelineFirst) {
    WalPosition old_tl{1, *Lsn::parse("5/0")};
    WalPosition new_tl{2, *Lsn::parse("1/0")};
    EXPECT_LT(old_tl, new_tl);
    EXPECT_LT((WalPosition{2, Lsn{1}}), (WalPosition{2, Lsn{2}}));
    EXPECT_EQ((WalPosition{2, Lsn{7}}), (WalPosition{2, Lsn{7}}));
}

}  // namespace
}  // namespace pgtwin::pg
