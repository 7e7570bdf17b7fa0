// SPDX-License-Identifier: GPL-2.0-or-later
// The primary's view of its standby (issue 7 items 1, 3, 4): a clone's WAL
// stream is never the standby, sync is restored only once the standby has
// flushed what was written before the switch, and the primary is the only
// writer of the standby's replication state. Two agents (psql1 primary,
// psql2 standby) share one fake cluster.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "agent_fakes.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/rebuild.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::testing {
namespace {

using ocf::Status;

// One node: its PostgreSQL, how it reaches both instances, its state dir.
struct Node {
    std::string name, peer;
    FakePg pg;
    FakeConnector connector;
    std::unique_ptr<FakeBackend> backend;
    ocf::Config cfg;
    std::string state_dir;
};

class PrimaryView : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir =
            std::filesystem::temp_directory_path() / ("pgtwin-view-test-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        setup_node(primary, "psql1", "psql2");
        setup_node(standby, "psql2", "psql1");
        standby.pg.in_recovery = true;
        standby.pg.receiver = pg::Row{"streaming", "1", "0/3000000", "host1"};
        cluster.events = &events;
        primary.pg.events = &events;
        meta.interval = Millis{10000};
        meta.timeout = Millis{30000};
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    void setup_node(Node& n, const std::string& name, const std::string& peer) {
        n.name = name;
        n.peer = peer;
        std::filesystem::create_directories(m_dir / name / "data");
        std::ofstream(m_dir / name / "data" / "PG_VERSION") << "15\n";
        n.backend = std::make_unique<FakeBackend>((m_dir / name / "data").string());
        n.cfg.pgdata = (m_dir / name / "data").string();
        n.cfg.node_list = {"psql1", "psql2"};
        n.cfg.node_addresses = {{"psql1", "host1"}, {"psql2", "host2"}};
        n.cfg.application_name = name;
        n.cfg.slot_name = "pgtwin_" + name;
        n.state_dir = (m_dir / name / "state").string();
    }
    void connect_nodes() {
        primary.connector.hosts = {{"local", &primary.pg}, {"host2", &standby.pg}};
        standby.connector.hosts = {{"local", &standby.pg}, {"host1", &primary.pg}};
    }

    agent::Context ctx(Node& n) {
        connect_nodes();
        return agent::Context{n.cfg,
                              meta,
                              notify,
                              n.name,
                              n.peer,
                              "pgsql",
                              n.state_dir,
                              runner,
                              clock,
                              *n.backend,
                              n.connector,
                              cluster,
                              Deadline(clock, meta.timeout)};
    }
    Status monitor(Node& n) {
        auto c = ctx(n);
        return agent::action_monitor(c).status;
    }
    std::string standby_state() { return cluster.attrs["psql2/" + rep_state]; }
    std::ptrdiff_t index_of(const std::string& e) const {
        auto it = std::find(events.begin(), events.end(), e);
        return it == events.end() ? -1 : it - events.begin();
    }

    std::filesystem::path m_dir;
    Events events;
    Node primary, standby;
    FakeCluster cluster;
    FakeCommandRunner runner;
    FakeClock clock;
    ocf::MetaEnv meta;
    pcmk::NotifyData notify;
    const std::string rep_state = "pgtwin-pgsql-rep-state";
};

// application_name='...' out of a libpq conninfo string.
std::string conninfo_app_name(const std::string& conninfo) {
    std::smatch m;
    return std::regex_search(conninfo, m, std::regex("application_name='([^']*)'")) ? m[1].str() : "";
}

// ---------------------------------------------------------------- item 1 (H2)

TEST_F(PrimaryView, ToolsConnectWithTheCloneApplicationName) {
    auto c = ctx(standby);
    EXPECT_EQ(conninfo_app_name(agent::peer_tool_conninfo(c)), "pgtwin-clone-psql2");
}

TEST_F(PrimaryView, PgBasebackupArgvCarriesTheCloneApplicationName) {
    std::string conninfo;
    runner.expect_match([&](const sys::Command& cmd) {
        auto d = std::find(cmd.argv.begin(), cmd.argv.end(), "-d");
        if (cmd.argv[0] != "pg_basebackup" || d == cmd.argv.end() || d + 1 == cmd.argv.end()) return false;
        conninfo = *(d + 1);
        return true;
    });
    auto c = ctx(standby);
    ASSERT_TRUE(agent::clone_from_peer(c).ok());
    EXPECT_EQ(conninfo_app_name(conninfo), "pgtwin-clone-psql2") << conninfo;
}

// The rows a running clone of psql2 shows on the primary: the base backup
// sender and the WAL streamer (which reports a flush position because it
// uses a slot), both named as the clone's conninfo names them.
TEST_F(PrimaryView, ACloneInProgressIsNeitherSynchronousNorPromotable) {
    auto sc = ctx(standby);
    std::string clone_name = conninfo_app_name(agent::peer_tool_conninfo(sc));
    primary.pg.replication.push_back(FakePg::standby_row(clone_name, "backup", "async"));
    primary.pg.replication.push_back(FakePg::standby_row(clone_name, "streaming", "async"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(monitor(primary), Status::RunningPromoted);
        EXPECT_EQ(primary.pg.settings["synchronous_standby_names"], "") << "monitor " << i;
        EXPECT_EQ(standby_state(), "disconnected") << "monitor " << i;
        EXPECT_EQ(cluster.scores["psql2"], -1000) << "monitor " << i;
    }
}

TEST_F(PrimaryView, CloneRowsAreNeverTheStandbysRowWhateverItsName) {
    std::vector<pg::ReplicationPeer> rows(1);
    rows[0].application_name = "pgtwin-clone-psql2";
    rows[0].state = "streaming";
    rows[0].sync_state = "sync";
    EXPECT_FALSE(agent::find_standby_row(rows, "pgtwin-clone-psql2").has_value());
    auto v = agent::judge_standby(rows[0], ocf::RepMode::Sync, pg::Lsn{0}, 0);
    EXPECT_EQ(v.state, agent::RepState::Disconnected);
    EXPECT_LT(v.score, 0);
}

// ---------------------------------------------------------------- item 2 (M1)

TEST_F(PrimaryView, SyncIsRestoredOnlyOnceTheStandbyFlushedTheLsnAfterTheSwitch) {
    primary.pg.lsn = "0/5000000";  // the primary wrote while the standby was away
    primary.pg.replication.push_back(FakePg::standby_row("psql2", "streaming", "async"));  // flushed 0/3000000
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(primary.pg.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(primary.pg.replication[0][2], "sync");
    EXPECT_EQ(standby_state(), "lagging");
    EXPECT_EQ(cluster.scores["psql2"], -1000);
    auto alter = index_of("alter:synchronous_standby_names=\"psql2\"");
    auto capture = index_of("query:pg_current_wal_lsn");
    ASSERT_GE(alter, 0);
    EXPECT_GT(capture, alter) << "the LSN must be taken after the switch";

    // The standby's own monitor cannot make itself promotable meanwhile.
    EXPECT_EQ(monitor(standby), Status::Success);
    EXPECT_EQ(cluster.scores["psql2"], -1000);

    // The captured LSN survives to the next monitor, through the state file.
    primary.pg.lsn = "0/6000000";
    primary.pg.replication[0][5] = "0/4FFFFFF";
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(standby_state(), "lagging");
    primary.pg.replication[0][5] = "0/5000000";  // behind the current LSN, at the captured one
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(standby_state(), "in-sync");
    EXPECT_EQ(cluster.scores["psql2"], 1000);
}

TEST_F(PrimaryView, JudgeStandbyHoldsASyncStandbyBelowTheFloor) {
    pg::ReplicationPeer row;
    row.application_name = "psql2";
    row.state = "streaming";
    row.sync_state = "sync";
    row.flush_lsn = pg::Lsn{99};
    EXPECT_EQ(agent::judge_standby(row, ocf::RepMode::Sync, pg::Lsn{200}, 0, pg::Lsn{100}).state,
              agent::RepState::Lagging);
    row.flush_lsn = pg::Lsn{100};
    EXPECT_EQ(agent::judge_standby(row, ocf::RepMode::Sync, pg::Lsn{200}, 0, pg::Lsn{100}).state,
              agent::RepState::InSync);
}

// ---------------------------------------------------------------- item 3 (H4)

TEST_F(PrimaryView, TheStandbyNeverWritesItsOwnReplicationState) {
    primary.pg.replication = {FakePg::standby_row("psql2", "streaming", "sync")};
    primary.pg.settings["synchronous_standby_names"] = "\"psql2\"";
    cluster.attrs["psql2/" + rep_state] = "lagging";  // what the primary recorded last
    EXPECT_EQ(monitor(standby), Status::Success);
    EXPECT_EQ(standby_state(), "lagging");
    EXPECT_EQ(cluster.scores.count("psql2"), 0U) << "no score raise from a state the primary did not write";

    cluster.attrs["psql2/" + rep_state] = "in-sync";  // e.g. after a reboot cleared the transient score
    EXPECT_EQ(monitor(standby), Status::Success);
    EXPECT_EQ(cluster.scores["psql2"], 1000);
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [&](const std::string& e) { return e.rfind("attr:psql2:", 0) == 0; }),
              0);
}

TEST_F(PrimaryView, ALateStandbyWriteCannotOutliveThePrimarysVerdict) {
    primary.pg.replication = {FakePg::standby_row("psql2", "streaming", "async")};  // named at the 1st monitor
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    ASSERT_EQ(standby_state(), "in-sync");
    cluster.scores.erase("psql2");  // the standby's transient score is gone (it restarted)

    // The standby's monitor decides to raise its score; its write is slow.
    cluster.hold_writes = true;
    EXPECT_EQ(monitor(standby), Status::Success);
    cluster.hold_writes = false;
    ASSERT_FALSE(cluster.held.empty());

    // Its walreceiver drops; the primary marks it stale and degrades.
    primary.pg.replication.clear();
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(primary.pg.settings["synchronous_standby_names"], "");

    cluster.release_held();  // the standby's late write lands now
    EXPECT_EQ(standby_state(), "disconnected") << "the primary's verdict must be the final state";

    // A foreign value (a late write, a CIB merge after a partition) is
    // corrected by the primary's next monitor although its cache says current.
    cluster.attrs["psql2/" + rep_state] = "in-sync";
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(standby_state(), "disconnected");
    EXPECT_EQ(cluster.scores["psql2"], -1000);
}

TEST_F(PrimaryView, SteadyHealthyPrimaryMonitorDoesNotCallPacemaker) {
    primary.pg.replication = {FakePg::standby_row("psql2", "streaming", "async")};  // named at the 1st monitor
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    ASSERT_EQ(standby_state(), "in-sync");
    events.clear();
    int reads = cluster.reads;
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(cluster.reads, reads);
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const std::string& e) { return e.rfind("attr:", 0) == 0 || e.rfind("score:", 0) == 0; }),
              0);
}

// Issue 12 item 4: a healthy primary's monitor costs three round trips
// (status, pg_stat_replication, one upkeep read) and writes no slot.
TEST_F(PrimaryView, SteadyHealthyPrimaryMonitorReadsOnceAndWritesNoSlot) {
    primary.pg.replication = {FakePg::standby_row("psql2", "streaming", "async")};
    primary.pg.slots = {"pgtwin_psql1"};  // its own, left from when it was a standby
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(primary.pg.slots, (std::set<std::string>{"pgtwin_psql2"}));  // the peer's made, its own dropped
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    int writes = primary.pg.slot_writes;
    int queries = primary.pg.queries;
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(primary.pg.slot_writes, writes);
    EXPECT_EQ(primary.pg.queries - queries, 3);
    primary.pg.slots.clear();  // dropped by hand: the next monitor makes it again
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(primary.pg.slots, (std::set<std::string>{"pgtwin_psql2"}));
}

// ---------------------------------------------------------------- item 4 (L2)

TEST_F(PrimaryView, AnEqualWalCapWrittenDifferentlyIsNotRewritten) {
    primary.pg.settings["max_slot_wal_keep_size"] = "1GB";  // SHOW's normalised form
    for (const char* same : {"1GB", "1024MB", "1048576kB", "1024"}) {
        primary.cfg.max_slot_wal_keep_size = same;
        EXPECT_EQ(monitor(primary), Status::RunningPromoted);
        EXPECT_EQ(index_of("alter:max_slot_wal_keep_size=" + std::string(same)), -1) << same;
    }
    primary.cfg.max_slot_wal_keep_size = "2GB";
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_GE(index_of("alter:max_slot_wal_keep_size=2GB"), 0);
    primary.pg.settings["max_slot_wal_keep_size"] = "-1";
    primary.cfg.max_slot_wal_keep_size = "-1";
    events.clear();
    EXPECT_EQ(monitor(primary), Status::RunningPromoted);
    EXPECT_EQ(index_of("alter:max_slot_wal_keep_size=-1"), -1);
}

TEST(SizeSetting, ComparesInTheSettingsUnit) {
    EXPECT_EQ(pg::size_setting_mb("1GB"), 1024);
    EXPECT_EQ(pg::size_setting_mb("1024MB"), 1024);
    EXPECT_EQ(pg::size_setting_mb("1048576kB"), 1024);
    EXPECT_EQ(pg::size_setting_mb("1024"), 1024);
    EXPECT_EQ(pg::size_setting_mb("1TB"), 1024 * 1024);
    EXPECT_EQ(pg::size_setting_mb("-1"), -1);
    EXPECT_EQ(pg::size_setting_mb("8192B"), 0);  // PostgreSQL rounds to the unit
    EXPECT_FALSE(pg::size_setting_mb("4 GB").has_value());
    EXPECT_FALSE(pg::size_setting_mb("GB").has_value());
    EXPECT_FALSE(pg::size_setting_mb("-2").has_value());
}

// ---------------------------------------------------------------- item 5

TEST_F(PrimaryView, StateFileIsPrivateAndNeverFollowsASymlink) {
    auto c = ctx(primary);
    agent::AgentState state;
    state.published["score:psql1"] = "1001";
    agent::save_state(c, state);
    std::string path = agent::state_path(c);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    ASSERT_EQ(::stat(primary.state_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700U);
    EXPECT_EQ(agent::load_state(c).published["score:psql1"], "1001");

    std::string victim = (m_dir / "victim").string();
    std::ofstream(victim) << "keep";
    std::filesystem::remove(path);
    std::filesystem::create_symlink(victim, path);
    agent::save_state(c, state);
    auto content = sys::read_file(victim);
    ASSERT_TRUE(content.ok());
    EXPECT_EQ(*content, "keep") << "the symlink's target was written";
    ASSERT_EQ(::stat(victim.c_str(), &st), 0);
    EXPECT_NE(st.st_mode & 07777, 0600U) << "the symlink's target was chmodded";

    // A symlink is not read either: its content would steer the publish cache.
    std::ofstream(victim) << R"({"published":{"score:psql1":"1001"},"published_at":0})";
    EXPECT_TRUE(agent::load_state(c).published.empty());
}

}  // namespace
}  // namespace pgtwin::testing
