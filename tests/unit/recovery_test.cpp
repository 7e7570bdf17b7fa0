// SPDX-License-Identifier: GPL-2.0-or-later
// A node recovers by itself (issue 8): interrupted clones and rewinds, a
// fresh clone that never ran, lost WAL, replay catch-up. Agent actions run
// against fakes over a real temporary data directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent_fixture.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::testing {
namespace {

namespace fs = std::filesystem;
using agent::Outcome;
using ocf::Status;

std::string test_data(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Recovery : public AgentFixture {
protected:
    void SetUp() override {
        AgentFixture::SetUp();
        fs::remove(data() / "PG_VERSION");  // each test lays out its own directory
        local.in_recovery = true;
        peer.in_recovery = false;
        meta.timeout = Millis{120000};
    }

    fs::path data() const { return m_dir / "data"; }
    fs::path marker(const std::string& kind) const { return m_dir / (".data.pgtwin-" + kind); }
    void touch(const fs::path& p) {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << "x\n";
    }
    // What pg_basebackup leaves when killed before it sent global/pg_control.
    void partial_clone() {
        touch(data() / "PG_VERSION");
        touch(data() / "backup_label");
        touch(data() / "base" / "1" / "1259");
    }
    void full_cluster() {
        touch(data() / "PG_VERSION");
        touch(data() / "global" / "pg_control");
    }
    // The instance is stopped; a probe (interval 0) looks at it.
    void stopped() {
        backend->live = backend::Liveness::Stopped;
        local.answering = false;
    }
    static bool is_tool(const sys::Command& c, const std::string& name) { return c.argv.front() == name; }
};

TEST_F(Recovery, ProbeOfADirectoryWithoutControlFileIsNotRunning) {
    partial_clone();
    stopped();
    meta.interval = Millis{0};
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::NotRunning) << o.reason;
    EXPECT_TRUE(runner.calls().empty()) << "pg_controldata cannot read a missing pg_control";
}

TEST_F(Recovery, ProbeWithACloneMarkerIsNotRunning) {
    full_cluster();
    touch(marker("clone"));
    stopped();
    meta.interval = Millis{0};
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::NotRunning);
}

TEST_F(Recovery, ProbeOfAFreshCloneThatNeverRanIsNotACrashedPrimary) {
    full_cluster();
    touch(data() / "backup_label");
    stopped();
    meta.interval = Millis{0};
    runner.expect({"pg_controldata", "-D", data().string()}, 0, test_data("controldata-primary-crashed.txt"));
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::NotRunning) << o.reason;
}

TEST_F(Recovery, StartDiscardsAnInterruptedCloneAndClonesAgain) {
    partial_clone();
    touch(marker("clone"));
    stopped();
    local.answering = true;  // answers once started
    runner.expect_match([this](const sys::Command& c) {
        return is_tool(c, "pg_basebackup") && fs::is_empty(data()) && fs::exists(marker("clone"));
    });
    auto c = ctx();
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_FALSE(fs::exists(marker("clone")));
    EXPECT_FALSE(fs::exists(data() / "base")) << "the partial copy must be gone";
}

TEST_F(Recovery, StartOfADirectoryWithoutControlFileSetsItAsideAndClones) {
    partial_clone();
    stopped();
    local.answering = true;
    cfg.backup_before_basebackup = true;
    runner.expect_match([this](const sys::Command& c) { return is_tool(c, "pg_basebackup") && fs::is_empty(data()); });
    auto c = ctx();
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
}

// A second pg_rewind over an unfinished one can answer "no rewind required"
// over half-copied files (seen in the lab): only a fresh clone is safe.
TEST_F(Recovery, StartReclonesAfterAnInterruptedRewindAndKeepsTheOldData) {
    full_cluster();
    touch(marker("rewind"));
    stopped();
    local.answering = true;
    cfg.backup_before_basebackup = true;
    runner.expect_match([this](const sys::Command& c) { return is_tool(c, "pg_basebackup") && fs::is_empty(data()); });
    auto c = ctx();
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_FALSE(fs::exists(marker("rewind")));
    for (const auto& call : runner.calls()) EXPECT_FALSE(is_tool(call, "pg_rewind"));
}

TEST_F(Recovery, InterruptedRewindWithoutBasebackupFailsAndKeepsItsMarker) {
    full_cluster();
    touch(marker("rewind"));
    stopped();
    cfg.auto_basebackup = false;
    auto c = ctx();
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("interrupted pg_rewind"), std::string::npos) << o.reason;
    EXPECT_TRUE(fs::exists(marker("rewind")));
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(Recovery, StandbyWhoseWalIsGoneIsMarkedForRebuildNotRestarted) {
    full_cluster();
    cfg.replication_failure_threshold = 1;
    peer.slot_check = pg::Row{"lost", "t"};
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("is gone on primary psql2"), std::string::npos) << o.reason;
    EXPECT_TRUE(fs::exists(marker("rebuild")));
}

TEST_F(Recovery, StandbyWhoseSlotStillHoldsItsWalIsOnlyRestarted) {
    full_cluster();
    cfg.replication_failure_threshold = 1;
    peer.slot_check = pg::Row{"reserved", "f"};
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("has not streamed"), std::string::npos) << o.reason;
    EXPECT_FALSE(fs::exists(marker("rebuild")));
}

TEST_F(Recovery, StartRebuildsAStandbyMarkedForRebuildAndKeepsTheOldData) {
    full_cluster();
    touch(marker("rebuild"));
    stopped();
    local.answering = true;
    cfg.backup_before_basebackup = true;
    runner.expect_match([this](const sys::Command& c) { return is_tool(c, "pg_basebackup") && fs::is_empty(data()); });
    auto c = ctx();
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_FALSE(fs::exists(marker("rebuild")));
    int backups = 0;
    for (const auto& e : fs::directory_iterator(m_dir)) {
        if (e.path().filename().string().rfind("data.pgtwin-backup-", 0) == 0) {
            ++backups;
            EXPECT_TRUE(fs::exists(e.path() / "global" / "pg_control"));
        }
    }
    EXPECT_EQ(backups, 1);
}

TEST_F(Recovery, StandbyReplayingItsOwnWalIsCatchingUpNotFailed) {
    full_cluster();
    cfg.replication_failure_threshold = 2;
    for (const char* lsn : {"0/3000000", "0/3100000", "0/3200000", "0/3300000"}) {
        local.lsn = lsn;
        auto c = ctx();
        Outcome o = agent::action_monitor(c);
        EXPECT_EQ(o.status, Status::Success) << "at " << lsn << ": " << o.reason;
    }
    // Replay stopped moving: now it counts.
    auto c1 = ctx();
    EXPECT_EQ(agent::action_monitor(c1).status, Status::Success);
    auto c2 = ctx();
    EXPECT_EQ(agent::action_monitor(c2).status, Status::ErrGeneric);
}

// Records the SQL it is given and answers every statement with no rows.
class RecordingSession final : public pg::Session {
public:
    std::vector<std::string> sql;
    Result<pg::QueryResult> query(const std::string& q, const std::vector<std::optional<std::string>>&,
                                  const Deadline&) override {
        sql.push_back(q);
        return pg::QueryResult{};
    }
    Result<std::string> quote_literal(const std::string& value) override { return "'" + value + "'"; }
};

TEST(RecoverySlots, LostInactiveSlotIsDroppedBeforeItIsMadeAgain) {
    RecordingSession s;
    FakeClock clock;
    ASSERT_TRUE(pg::ensure_physical_slot(s, "pgtwin_psql2", Deadline(clock, Millis{5000})).ok());
    ASSERT_EQ(s.sql.size(), 2U);
    EXPECT_NE(s.sql[0].find("pg_drop_replication_slot"), std::string::npos) << s.sql[0];
    EXPECT_NE(s.sql[0].find("NOT active AND wal_status = 'lost'"), std::string::npos) << s.sql[0];
    EXPECT_NE(s.sql[1].find("pg_create_physical_replication_slot"), std::string::npos) << s.sql[1];
}

}  // namespace
}  // namespace pgtwin::testing
