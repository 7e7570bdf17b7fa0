// SPDX-License-Identifier: GPL-2.0-or-later
// `pgtwin status`: the pure "next" line, the JSON shape and the CIB parsing.
#include <gtest/gtest.h>

#include "pgtwin/agent/status.hpp"
#include "pgtwin/app/status_cmd.hpp"

namespace pgtwin::agent {
namespace {

StatusFacts base(const std::string& role) {
    StatusFacts f;
    f.resource = "pgsql";
    f.mode = "vm";
    f.rep_mode = "sync";
    f.max_promotion_lag_bytes = 16 * 1024 * 1024;
    f.local.node = "psql1";
    f.local.role = role;
    return f;
}

StatusFacts with_primary_peer(StatusFacts f) {
    f.peer = NodeFacts{};
    f.peer->node = "psql2";
    f.peer->role = "primary";
    return f;
}

struct NextRow {
    const char* name;
    StatusFacts facts;
    const char* expected;
};

std::vector<NextRow> next_rows() {
    std::vector<NextRow> rows;
    auto add = [&](const char* name, StatusFacts f, const char* want) { rows.push_back({name, std::move(f), want}); };
    auto f = base("stopped");
    f.local.in_progress = "clone";
    add("interrupted clone", f, "start will re-clone: interrupted clone");
    f.local.in_progress = "rewind";
    add("interrupted rewind", f, "start will rewind again (else re-clone): interrupted pg_rewind");
    f.local.in_progress = "rebuild";
    add("marked rebuild", f, "start will re-clone: marked for rebuild (its WAL is gone on the primary)");
    f.local.in_progress = "no-control-file";
    add("no pg_control", f, "start will set the data aside and re-clone: no global/pg_control");
    add("no data, no primary", base("no-data"), "start will fail until a primary answers: no data to clone");
    add("no data", with_primary_peer(base("no-data")), "start will clone from the primary (no data yet)");
    f = base("no-data");
    f.auto_basebackup = false;
    add("no data, no auto clone", f, "start will fail: no data and auto_basebackup=false");
    add("crashed", with_primary_peer(base("crashed")),
        "start will run crash recovery, then rejoin as standby (rewind if diverged)");
    add("stopped", with_primary_peer(base("stopped")), "start will rejoin as standby (rewind if diverged)");
    add("stopped, no primary", base("stopped"),
        "start will run it as standby; no primary answers, so the election decides promotion");
    f = base("crashed");
    f.peer = NodeFacts{};
    f.peer->role = "unknown";
    add("crashed, peer unreachable", f,
        "start will run it as standby; no primary answers, so the election decides promotion");
    add("unknown", base("unknown"), "unknown: the local instance could not be read");
    f = base("standby");
    f.local.rep_state = "lagging";
    f.local.replay_lag_bytes = 3 * 1024 * 1024;
    add("standby lagging", f, "standby not promotable: lagging 3.0 MB");
    f.local.rep_state = "disconnected";
    add("standby disconnected", f, "standby not promotable: disconnected");
    f = base("standby");
    f.local.rep_state = "in-sync";
    f.local.wal_receiver_streaming = false;
    add("standby receiver down", f, "standby not promotable: WAL receiver not streaming");
    f.local.wal_receiver_streaming = true;
    f.local.promotion_score = 1000;
    add("standby in sync", f, "promotable");
    f.local.rep_state.reset();
    add("standby, nothing recorded", f, "promotable");
    add("primary alone", base("primary"), "primary; no standby connected (writes do not wait for one)");
    f = base("primary");
    f.local.standby = StandbyRowFacts{"catchup", "async", 0};
    add("primary, standby catching up", f, "primary; standby catchup, not promotable yet");
    f.local.standby = StandbyRowFacts{"streaming", "potential", 0};
    add("primary sync, standby not sync", f, "primary; standby streams but is not synchronous yet (potential)");
    f.local.standby = StandbyRowFacts{"streaming", "sync", 0};
    add("primary sync, standby sync", f, "primary; standby promotable");
    f.rep_mode = "async";
    f.local.standby = StandbyRowFacts{"streaming", "async", 32 * 1024 * 1024};
    add("primary async, standby lagging", f, "primary; standby lagging 32.0 MB, not promotable");
    f.local.standby->flush_lag_bytes = 1024;
    add("primary async, standby close", f, "primary; standby promotable");
    return rows;
}

TEST(StatusNext, RowTable) {
    for (const auto& row : next_rows()) {
        EXPECT_EQ(next_step(row.facts), row.expected) << row.name;
    }
}

TEST(StatusJson, StableShapeForAStandby) {
    auto f = base("standby");
    f.local.timeline = 3;
    f.local.lsn = "0/3000060";
    f.local.replay_lag_bytes = 0;
    f.local.replay_lag_seconds = 1.5;
    f.local.wal_receiver_streaming = true;
    f.local.rep_state = "in-sync";
    f.local.promotion_score = 1000;
    f.local.data_copies.push_back({"/var/lib/pg/data.pgtwin-backup-20260101T000000", 4096});
    f.peer = NodeFacts{};
    f.peer->node = "psql2";
    f.peer->role = "primary";
    f.peer->standby = StandbyRowFacts{"streaming", "sync", 0};
    auto j = status_json(f);
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_EQ(j["resource"], "pgsql");
    EXPECT_EQ(j["mode"], "vm");
    EXPECT_EQ(j["rep_mode"], "sync");
    EXPECT_EQ(j["local"]["node"], "psql1");
    EXPECT_EQ(j["local"]["role"], "standby");
    EXPECT_EQ(j["local"]["timeline"], 3);
    EXPECT_EQ(j["local"]["lsn"], "0/3000060");
    EXPECT_EQ(j["local"]["replay_lag_bytes"], 0);
    EXPECT_DOUBLE_EQ(j["local"]["replay_lag_seconds"].get<double>(), 1.5);
    EXPECT_EQ(j["local"]["wal_receiver_streaming"], true);
    EXPECT_TRUE(j["local"]["standby"].is_null());
    EXPECT_EQ(j["local"]["replication_state"], "in-sync");
    EXPECT_EQ(j["local"]["promotion_score"], 1000);
    EXPECT_TRUE(j["local"]["in_progress"].is_null());
    EXPECT_TRUE(j["local"]["pgdata_bytes"].is_null());
    EXPECT_EQ(j["local"]["data_copies"][0]["bytes"], 4096);
    EXPECT_TRUE(j["local"]["errors"].is_array());
    EXPECT_EQ(j["peer"]["role"], "primary");
    EXPECT_EQ(j["peer"]["standby"]["sync_state"], "sync");
    EXPECT_EQ(j["peer"]["standby"]["flush_lag_bytes"], 0);
    EXPECT_EQ(j["next"], "promotable");
}

TEST(StatusJson, UnknownFactsAreNullAndNoPeerIsNull) {
    auto j = status_json(base("unknown"));
    for (const char* key : {"timeline", "lsn", "replay_lag_bytes", "replay_lag_seconds", "wal_receiver_streaming",
                            "standby", "replication_state", "promotion_score", "in_progress", "pgdata_bytes"}) {
        EXPECT_TRUE(j["local"][key].is_null()) << key;
    }
    EXPECT_TRUE(j["peer"].is_null());
}

TEST(StatusText, EndsWithTheNextLine) {
    auto f = base("stopped");
    f.local.in_progress = "clone";
    f.local.pgdata_bytes = 2048;
    std::string text = status_text(f);
    EXPECT_NE(text.find("local psql1: stopped"), std::string::npos) << text;
    EXPECT_NE(text.find("in progress: clone (pgdata 2.0 kB)"), std::string::npos) << text;
    EXPECT_NE(text.find("next: start will re-clone: interrupted clone\n"), std::string::npos) << text;
}

TEST(StatusCib, ReadsTheOnePrimitive) {
    auto env = app::env_from_cib_xml(
        "<primitive id=\"pgsql\" class=\"ocf\" provider=\"pgtwin\" type=\"pgtwin\">"
        "<instance_attributes id=\"ia\"><nvpair id=\"a\" name=\"pgdata\" value=\"/var/lib/pg/data\"/>"
        "<nvpair id=\"b\" name=\"rep_mode\" value=\"async\"/></instance_attributes></primitive>",
        "");
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_EQ((*env)["OCF_RESOURCE_INSTANCE"], "pgsql");
    EXPECT_EQ((*env)["OCF_RESKEY_pgdata"], "/var/lib/pg/data");
    EXPECT_EQ((*env)["OCF_RESKEY_rep_mode"], "async");
}

TEST(StatusCib, SeveralPrimitivesNeedAName) {
    auto env = app::env_from_cib_xml("<xpath-query><primitive id=\"a\"/><primitive id=\"b\"/></xpath-query>", "");
    ASSERT_FALSE(env);
    EXPECT_NE(env.error().message.find("--resource"), std::string::npos);
    EXPECT_FALSE(app::env_from_cib_xml("not xml <", ""));
}

}  // namespace
}  // namespace pgtwin::agent

namespace pgtwin::agent {
namespace {

TEST(StatusPrometheus, OneGroupPerFamilyAndNoSampleForUnknownFacts) {
    auto f = base("primary");
    f.local.timeline = 2;
    f.local.lsn = "0/10";
    f.local.standby = StandbyRowFacts{"streaming", "sync", 0};
    f.local.rep_state = "primary";
    f.peer = NodeFacts{};
    f.peer->node = "psql2";
    f.peer->role = "standby";
    std::string text = status_prometheus(f);
    EXPECT_NE(text.find("# TYPE pgtwin_role gauge\n"
                        "pgtwin_role{resource=\"pgsql\",node=\"psql1\",role=\"primary\"} 1\n"
                        "pgtwin_role{resource=\"pgsql\",node=\"psql2\",role=\"standby\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("pgtwin_lsn_bytes{resource=\"pgsql\",node=\"psql1\"} 16\n"), std::string::npos) << text;
    EXPECT_NE(text.find("pgtwin_standby_sync{resource=\"pgsql\",node=\"psql1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("pgtwin_replication_state{resource=\"pgsql\",node=\"psql1\",state=\"primary\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("pgtwin_timeline{resource=\"pgsql\",node=\"psql2\"}"), std::string::npos) << text;
    EXPECT_EQ(text.find("# TYPE pgtwin_role"), text.rfind("# TYPE pgtwin_role")) << text;
}

}  // namespace
}  // namespace pgtwin::agent
