// SPDX-License-Identifier: GPL-2.0-or-later
// The pure decisions behind promotion and election safety (issue 7 items
// 5-7) and validate-all's prerequisite checks (L6).

#include <gtest/gtest.h>

#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/pg/client.hpp"

namespace pgtwin::agent {
namespace {

pg::WalPosition pos(pg::Timeline tl, std::uint64_t lsn) { return {tl, pg::Lsn{lsn}}; }

TEST(ElectionMembers, ActiveAndStartedMinusStopped) {
    pcmk::NotifyData n;
    n.active = {"psql2", "psql1"};
    n.start = {"psql3"};
    n.promote = {"psql1"};
    n.stop = {"psql2"};
    EXPECT_EQ(election_members(n), (std::vector<std::string>{"psql1", "psql3"}));
    EXPECT_TRUE(election_members(pcmk::NotifyData{}).empty());
}

// Demote leaves PostgreSQL stopped only when the same transition stops this
// node's instance. Rows: the transition's stop list, the verdict for psql1.
TEST(AfterDemote, StaysStoppedOnlyWhenThisTransitionStopsTheNode) {
    struct Row {
        std::vector<std::string> stop;
        AfterDemote want;
    };
    const std::vector<Row> rows{
        {{}, AfterDemote::StartStandby},                 // switchover, on-fail=demote, no notify data
        {{"psql2"}, AfterDemote::StartStandby},          // the peer stops
        {{"psql1"}, AfterDemote::StayStopped},           // failed primary recovered, node standby
        {{"psql2", "psql1"}, AfterDemote::StayStopped},  // both stop
        {{"psql10"}, AfterDemote::StartStandby},         // whole names only
    };
    for (const auto& row : rows) {
        pcmk::NotifyData n;
        n.stop = row.stop;
        n.promote = {"psql2"};
        EXPECT_EQ(after_demote(n, "psql1"), row.want) << ::testing::PrintToString(row.stop);
    }
}

TEST(ElectionWinner, OnlyAPromotablePeerWithANewerPositionWins) {
    auto mine = pos(2, 0x5000000);
    EXPECT_EQ(election_winner(mine, {}), std::nullopt);
    EXPECT_EQ(election_winner(mine, {{"b", true, pos(2, 0x6000000)}}), "b");
    EXPECT_EQ(election_winner(mine, {{"b", true, pos(3, 0x1000000)}}), "b");           // newer timeline
    EXPECT_EQ(election_winner(mine, {{"b", true, pos(2, 0x5000000)}}), std::nullopt);  // a tie keeps this node
    EXPECT_EQ(election_winner(mine, {{"b", true, pos(1, 0x9000000)}}), std::nullopt);
    EXPECT_EQ(election_winner(mine, {{"b", false, pos(2, 0x9000000)}}), std::nullopt);  // may not be promoted
    EXPECT_EQ(election_winner(mine, {{"b", true, std::nullopt}}), std::nullopt);        // published nothing
    EXPECT_EQ(election_winner(mine, {{"b", true, pos(2, 0x6000000)}, {"c", true, pos(2, 0x7000000)}}), "c");
}

TEST(RepStateAfterClone, OnlyAStandbySourcePassesItsStateOn) {
    EXPECT_EQ(to_string(rep_state_after_clone(PeerRole::NotPrimary, rep_state_record(std::string("disconnected")))),
              "disconnected");
    EXPECT_EQ(to_string(rep_state_after_clone(PeerRole::NotPrimary, rep_state_record(std::string("in-sync")))),
              "in-sync");
    EXPECT_EQ(rep_state_after_clone(PeerRole::NotPrimary, std::nullopt), RepState::Catchup);
    EXPECT_EQ(rep_state_after_clone(PeerRole::NotPrimary, rep_state_record(std::string("in_sync"))),
              RepState::Catchup);  // names no state
    EXPECT_EQ(rep_state_after_clone(PeerRole::Primary, rep_state_record(std::string("primary"))), RepState::Catchup);
    EXPECT_FALSE(state_allows_promotion(rep_state_record(rep_state_after_clone(PeerRole::Primary, std::nullopt))));
}

TEST(RejoinRoleUnknown, AFormerPrimaryRefusesAStandbyStarts) {
    pg::ControlData cd;
    cd.state = pg::ClusterState::InProduction;
    EXPECT_EQ(decide_rejoin_role_unknown(cd), RejoinAction::Refuse);
    cd.state = pg::ClusterState::ShutDown;
    EXPECT_EQ(decide_rejoin_role_unknown(cd), RejoinAction::Refuse);
    cd.state = pg::ClusterState::ShutDownInRecovery;
    EXPECT_EQ(decide_rejoin_role_unknown(cd), RejoinAction::StartAsStandby);
}

pg::ServerFacts good_facts() {
    pg::ServerFacts f;
    f.version_num = 150018;
    f.hot_standby = "on";
    f.synchronous_commit = "on";
    f.rep_user_exists = f.rep_user_replication = f.rep_user_pg_monitor = f.rep_user_rewind_functions = true;
    return f;
}

TEST(ServerPrerequisites, AllMetGivesNothing) {
    EXPECT_TRUE(server_prerequisite_problems(good_facts(), "rep", ocf::RepMode::Sync, true).empty());
}

TEST(ServerPrerequisites, EachProblemNamesItsFix) {
    auto one = [](pg::ServerFacts f, ocf::RepMode mode = ocf::RepMode::Sync, bool rewind = true) {
        auto p = server_prerequisite_problems(f, "rep", mode, rewind);
        return p.size() == 1 ? p.front() : std::string("count=") + std::to_string(p.size());
    };
    auto f = good_facts();
    f.hot_standby = "off";
    EXPECT_NE(one(f).find("hot_standby = on"), std::string::npos);
    f = good_facts();
    f.synchronous_commit = "local";
    EXPECT_NE(one(f).find("synchronous_commit"), std::string::npos);
    EXPECT_EQ(one(f, ocf::RepMode::Async), "count=0");
    f.synchronous_commit = "off";
    EXPECT_NE(one(f).find("synchronous_commit"), std::string::npos);
    f = good_facts();
    f.version_num = 170002;
    f.allow_alter_system = "off";
    EXPECT_NE(one(f).find("allow_alter_system"), std::string::npos);
    f.version_num = 160000;  // the setting does not exist before 17
    EXPECT_EQ(one(f), "count=0");
    f = good_facts();
    f.rep_user_pg_monitor = false;
    EXPECT_NE(one(f).find("GRANT pg_monitor TO rep"), std::string::npos);
    f = good_facts();
    f.rep_user_replication = false;
    EXPECT_NE(one(f).find("WITH REPLICATION"), std::string::npos);
    f = good_facts();
    f.rep_user_rewind_functions = false;
    EXPECT_NE(one(f).find("GRANT EXECUTE ON FUNCTION pg_ls_dir"), std::string::npos);
    EXPECT_EQ(one(f, ocf::RepMode::Sync, false), "count=0");
    f = good_facts();
    f.rep_user_exists = false;
    EXPECT_NE(one(f).find("does not exist"), std::string::npos);
}

TEST(SocketHost, OnlySocketsAreLocal) {
    EXPECT_TRUE(pg::is_socket_host(""));
    EXPECT_TRUE(pg::is_socket_host("/var/run/postgresql"));
    EXPECT_TRUE(pg::is_socket_host("@abstract"));
    EXPECT_FALSE(pg::is_socket_host("10.231.0.2"));
    EXPECT_FALSE(pg::is_socket_host("psql2"));
}

}  // namespace
}  // namespace pgtwin::agent
