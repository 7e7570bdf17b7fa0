// SPDX-License-Identifier: GPL-2.0-or-later
// The standby configuration: primary_conninfo, slot and timeline settings, writing and clearing them.

#include "pgtwin/pg/standby_conf.hpp"

#include <gtest/gtest.h>

namespace pgtwin::pg {
namespace {

StandbySource source() {
    StandbySource s;
    s.peer_host = "10.231.0.1";
    s.port = 5432;
    s.rep_user = "replicator";
    s.application_name = "psql2";
    s.slot_name = "pgtwin_psql2";
    return s;
}

TEST(StandbyConf, ConninfoNamesPeerAndKeepalives) {
    EXPECT_EQ(standby_conninfo(source()),
              "host='10.231.0.1' port='5432' user='replicator' application_name='psql2' "
              "sslmode='prefer' connect_timeout='5' keepalives='1' keepalives_idle='5' "
              "keepalives_interval='5' keepalives_count='3'");
}

TEST(StandbyConf, PassfileOnlyWhenSetAndNeverAPassword) {
    auto s = source();
    s.passfile = "/var/lib/postgresql/.pgpass";
    std::string ci = standby_conninfo(s);
    EXPECT_NE(ci.find(" passfile='/var/lib/postgresql/.pgpass' "), std::string::npos) << ci;
    EXPECT_EQ(ci.find("password"), std::string::npos);
    EXPECT_EQ(standby_conninfo(source()).find("passfile"), std::string::npos);
}

TEST(StandbyConf, SettingsHaveConninfoSlotAndTimeline) {
    SettingChanges c = standby_settings(source());
    ASSERT_EQ(c.size(), 3U);
    EXPECT_EQ(c.at("primary_conninfo"), standby_conninfo(source()));
    EXPECT_EQ(c.at("primary_slot_name"), "pgtwin_psql2");
    EXPECT_EQ(c.at("recovery_target_timeline"), "latest");
}

TEST(StandbyConf, NoSlotRemovesSlotName) {
    auto s = source();
    s.slot_name.clear();
    SettingChanges c = standby_settings(s);
    ASSERT_TRUE(c.count("primary_slot_name"));
    EXPECT_EQ(c.at("primary_slot_name"), std::nullopt);
}

TEST(StandbyConf, WrittenFileReadsBackExactly) {
    auto s = source();
    s.application_name = "it's";
    s.passfile = R"(/tmp/a b\c)";
    std::string file = apply_auto_conf_changes("work_mem = '8MB'\n", standby_settings(s));
    EXPECT_EQ(read_auto_conf_value(file, "primary_conninfo"), standby_conninfo(s));
    EXPECT_EQ(read_auto_conf_value(file, "work_mem"), "8MB");
}

TEST(StandbyConf, ClearRemovesEverythingItWrote) {
    std::string file = apply_auto_conf_changes("work_mem = '8MB'\n", standby_settings(source()));
    EXPECT_EQ(apply_auto_conf_changes(file, clear_standby_settings()), "work_mem = '8MB'\n");
}

}  // namespace
}  // namespace pgtwin::pg
