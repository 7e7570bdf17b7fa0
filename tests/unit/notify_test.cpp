// SPDX-License-Identifier: GPL-2.0-or-later
// Pacemaker notify variables parsed from the environment.

#include <gtest/gtest.h>

#include "pgtwin/pcmk/notify.hpp"

namespace pgtwin {
namespace {

using Names = std::vector<std::string>;
constexpr const char* kP = "OCF_RESKEY_CRM_meta_notify_";

ocf::EnvMap env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    ocf::EnvMap m;
    for (const auto& [k, v] : vars) m[std::string(kP) + k] = v;
    return m;
}

TEST(Notify, EmptyEnvironmentIsEmpty) {
    auto d = pcmk::parse_notify({});
    EXPECT_TRUE(d.empty());
    EXPECT_TRUE(d.promote.empty());
}

TEST(Notify, PrePromoteOfPacemaker21) {
    auto d = pcmk::parse_notify(env({{"type", "pre"},
                                     {"operation", "promote"},
                                     {"promote_uname", "psql2 "},
                                     {"demote_uname", " "},
                                     {"start_uname", " "},
                                     {"stop_uname", " "},
                                     {"active_uname", "psql1 psql2"},
                                     {"promoted_uname", " "},
                                     {"unpromoted_uname", "psql1 psql2"},
                                     {"all_uname", "psql1 psql2"}}));
    EXPECT_FALSE(d.empty());
    EXPECT_EQ(d.type, "pre");
    EXPECT_EQ(d.operation, "promote");
    EXPECT_EQ(d.promote, Names{"psql2"});
    EXPECT_TRUE(d.demote.empty());
    EXPECT_TRUE(d.promoted.empty());
    EXPECT_EQ(d.unpromoted, (Names{"psql1", "psql2"}));
    EXPECT_EQ(d.active, (Names{"psql1", "psql2"}));
    EXPECT_TRUE(d.inactive.empty());
}

TEST(Notify, FallsBackToMasterSlaveNames) {
    auto d = pcmk::parse_notify(
        env({{"type", "post"}, {"operation", "start"}, {"master_uname", "psql1"}, {"slave_uname", "psql2"}}));
    EXPECT_EQ(d.promoted, Names{"psql1"});
    EXPECT_EQ(d.unpromoted, Names{"psql2"});
}

TEST(Notify, NewNamesWinOverOldOnes) {
    auto d = pcmk::parse_notify(env({{"type", "post"},
                                     {"promoted_uname", "psql2"},
                                     {"master_uname", "psql1"},
                                     {"unpromoted_uname", " "},
                                     {"slave_uname", "psql1"}}));
    EXPECT_EQ(d.promoted, Names{"psql2"});
    EXPECT_TRUE(d.unpromoted.empty());
}

TEST(Notify, InactiveIsDerivedFromAllMinusActive) {
    auto d = pcmk::parse_notify(env({{"type", "pre"},
                                     {"operation", "start"},
                                     {"start_uname", "psql2"},
                                     {"active_uname", "psql1"},
                                     {"all_uname", "psql1\tpsql2\n"}}));
    EXPECT_EQ(d.start, Names{"psql2"});
    EXPECT_EQ(d.inactive, Names{"psql2"});
    EXPECT_EQ(d.all, (Names{"psql1", "psql2"}));
}

TEST(Notify, ExplicitInactiveListIsUsedWhenPresent) {
    auto d = pcmk::parse_notify(env({{"type", "pre"}, {"inactive_uname", "psql9"}, {"all_uname", "psql1"}}));
    EXPECT_EQ(d.inactive, Names{"psql9"});
}

}  // namespace
}  // namespace pgtwin
