// SPDX-License-Identifier: GPL-2.0-or-later
// Agent actions against fakes: the safety orderings and refusals that the
// decision tables alone cannot show.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "agent_fixture.hpp"
#include "pgtwin/agent/actions.hpp"

namespace pgtwin::testing {
namespace {

using agent::Outcome;
using ocf::Status;

class AgentActions : public AgentFixture {};

TEST_F(AgentActions, PrimaryMarksLostStandbyStaleBeforeItStopsWaitingForIt) {
    local.settings["synchronous_standby_names"] = "\"psql2\"";  // standby was sync, now gone
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::RunningPromoted);
    auto stale = index_of("attr:psql2:" + rep_state + "=disconnected");
    auto score = index_of("score:psql2=-1000");
    auto degrade = index_of("alter:synchronous_standby_names=");
    ASSERT_GE(stale, 0);
    ASSERT_GE(score, 0);
    ASSERT_GE(degrade, 0);
    EXPECT_LT(stale, degrade);
    EXPECT_LT(score, degrade);
}

// Partition or node loss: the peer is fenced, but its walsender, whose
// connection died without a reset, still shows it as the synchronous
// standby until wal_sender_timeout. Post-stop ends it and degrades now.
class PeerStopped : public AgentFixture {
protected:
    void SetUp() override {
        AgentFixture::SetUp();
        local.settings["synchronous_standby_names"] = "\"psql2\"";
        local.replication.push_back(FakePg::standby_row("psql2", "streaming", "sync"));
        cluster.peer_membership = pcmk::Membership::CleanDown;  // fenced
        notify.type = "post";
        notify.operation = "stop";
        notify.stop = {"psql2"};
    }
};

TEST_F(PeerStopped, PostStopEndsTheStaleWalsenderAndStopsWaiting) {
    auto c = ctx();
    EXPECT_EQ(agent::action_notify(c).status, Status::Success);
    auto ended = index_of("terminate:psql2");
    auto stale = index_of("attr:psql2:" + rep_state + "=disconnected");
    auto degrade = index_of("alter:synchronous_standby_names=");
    ASSERT_GE(ended, 0);
    ASSERT_GE(stale, 0);
    ASSERT_GE(degrade, 0);
    EXPECT_LT(ended, stale);
    EXPECT_LT(stale, degrade);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "");
    EXPECT_TRUE(local.replication.empty());
}

TEST_F(PeerStopped, PostStopKeepsWaitingWhilePacemakerDoesNotShowThePeerDown) {
    cluster.peer_membership = pcmk::Membership::Unclean;  // lost, fencing not confirmed
    auto c = ctx();
    EXPECT_EQ(agent::action_notify(c).status, Status::Success);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(index_of("alter:synchronous_standby_names="), -1);
}

TEST_F(PeerStopped, PostStopOfAnotherNodeOrOnAStandbyChangesNothing) {
    notify.stop = {"psql1"};
    auto c = ctx();
    EXPECT_EQ(agent::action_notify(c).status, Status::Success);
    notify.stop = {"psql2"};
    local.in_recovery = true;
    auto s = ctx();
    EXPECT_EQ(agent::action_notify(s).status, Status::Success);
    EXPECT_EQ(index_of("terminate:psql2"), -1);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(local.replication.size(), 1U);
}

// No cluster (ocf-tester) and an empty data directory on a node that does
// not initialise: no peer can appear during the start, so it fails at once
// with the reason instead of polling for a minute.
TEST_F(AgentActions, StartOnEmptyDataWithoutAPeerFailsWithoutWaiting) {
    std::filesystem::remove(m_dir / "data" / "PG_VERSION");
    local.answering = false;
    backend->live = backend::Liveness::Stopped;
    cfg.node_list = {"psql2", "psql1"};  // psql1 is not the node that initialises
    meta.timeout = Millis{120000};
    const auto before = clock.now();
    // clang-format off
    agent::Context c{cfg,      meta,      notify,         "psql1",  "",
                     "pgsql",  (m_dir / "state").string(), runner,  clock,
                     *backend, connector, cluster_seam(), Deadline(clock, meta.timeout)};
    // clang-format on
    Outcome o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::ErrGeneric) << o.reason;
    EXPECT_NE(o.reason.find("no peer"), std::string::npos) << o.reason;
    EXPECT_LT(clock.now() - before, Millis{5000}) << "start polled for a peer that cannot appear";
    EXPECT_FALSE(std::filesystem::exists(m_dir / "data" / "PG_VERSION"));
}

TEST_F(AgentActions, PrimaryKeepsWaitingWhenTheVerdictCannotBePublished) {
    local.settings["synchronous_standby_names"] = "\"psql2\"";
    cluster.fail_writes = true;
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::RunningPromoted);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(index_of("alter:synchronous_standby_names="), -1);
}

TEST_F(AgentActions, StandbyNamedSynchronousIsPromotableInTheSameMonitor) {
    local.replication.push_back(FakePg::standby_row("psql2", "streaming", "async"));
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::RunningPromoted);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(cluster.attrs["psql2/" + rep_state], "in-sync");
    EXPECT_EQ(cluster.scores["psql2"], 1000);
    EXPECT_EQ(cluster.scores["psql1"], 1001);
}

TEST_F(AgentActions, AsyncModeNeverNamesASynchronousStandby) {
    cfg.rep_mode = ocf::RepMode::Async;
    local.replication.push_back(FakePg::standby_row("psql2", "streaming", "async"));
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::RunningPromoted);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "");
    EXPECT_EQ(cluster.scores["psql2"], 1000);  // within max_promotion_lag_bytes
}

TEST_F(AgentActions, PromoteRefusesAStaleStandbyAndRunsNothing) {
    local.in_recovery = true;
    peer.answering = false;
    cluster.attrs["psql1/" + rep_state] = "disconnected";
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("not in sync"), std::string::npos) << o.reason;
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(AgentActions, PromoteRefusesASecondPrimaryEvenWhenForced) {
    local.in_recovery = true;
    peer.in_recovery = false;  // the peer still runs as primary
    cfg.force_promotion = true;
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("two primaries"), std::string::npos) << o.reason;
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(AgentActions, PromoteHandsOverToAPeerWithNewerData) {
    local.in_recovery = true;
    peer.answering = false;
    cluster.attrs["psql2/private:pgtwin-pgsql-walpos"] = "2:0/5000000";
    cluster.attrs["psql1/private:pgtwin-pgsql-election"] = "psql1 psql2";  // this round's members
    local.timeline = 2;
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("newer data"), std::string::npos) << o.reason;
    EXPECT_GT(cluster.scores["psql2"], cluster.scores["psql1"]);
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(AgentActions, ForcedPromotionOfAStaleStandbyPromotesAndPreparesTheSlot) {
    local.in_recovery = true;
    peer.answering = false;
    cluster.attrs["psql1/" + rep_state] = "disconnected";
    cfg.force_promotion = true;
    runner.expect_match([&](const sys::Command& cmd) {
        bool is_promote = cmd.argv.size() > 1 && cmd.argv[0] == "pg_ctl" && cmd.argv[1] == "promote";
        if (is_promote) local.in_recovery = false;  // what pg_ctl promote does
        return is_promote;
    });
    auto c = ctx();
    EXPECT_EQ(agent::action_promote(c).status, Status::Success);
    EXPECT_TRUE(runner.done());
    EXPECT_GE(index_of("checkpoint"), 0);
    EXPECT_EQ(cluster.attrs["psql2/" + rep_state], "disconnected");  // the peer lacks our new writes
    EXPECT_EQ(cluster.scores["psql1"], 1001);
}

TEST_F(AgentActions, StandbyThatCannotFollowAReachablePrimaryFailsAtTheThreshold) {
    local.in_recovery = true;
    peer.in_recovery = false;
    cfg.replication_failure_threshold = 3;
    for (int i = 1; i < 3; ++i) {
        auto c = ctx();
        EXPECT_EQ(agent::action_monitor(c).status, Status::Success) << "monitor " << i;
    }
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("has not streamed"), std::string::npos) << o.reason;
}

TEST_F(AgentActions, StandbyWithoutAnyPrimaryIsHealthy) {
    local.in_recovery = true;
    peer.answering = false;
    cfg.replication_failure_threshold = 1;
    auto c = ctx();
    EXPECT_EQ(agent::action_monitor(c).status, Status::Success);
}

}  // namespace
}  // namespace pgtwin::testing
