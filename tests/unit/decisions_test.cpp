// SPDX-License-Identifier: GPL-2.0-or-later
// Table tests of the agent's pure decisions (decisions.hpp).

#include <gtest/gtest.h>

#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::agent {
namespace {

using backend::Liveness;
using ocf::Status;
using pg::ClusterState;

MonitorFacts stopped_with(ClusterState s) {
    MonitorFacts f;
    f.liveness = Liveness::Stopped;
    f.control_state = s;
    return f;
}

TEST(ClassifyInstance, SqlAnswerDecidesTheRole) {
    MonitorFacts f;
    f.liveness = Liveness::Running;
    f.in_recovery = true;
    EXPECT_EQ(classify_instance(f).status, Status::Success);
    f.in_recovery = false;
    EXPECT_EQ(classify_instance(f).status, Status::RunningPromoted);
}

TEST(ClassifyInstance, ControlDataDecidesWhenStopped) {
    struct Row {
        ClusterState state;
        Status expected;
    };
    const Row rows[] = {
        {ClusterState::ShutDown, Status::NotRunning},         {ClusterState::ShutDownInRecovery, Status::NotRunning},
        {ClusterState::InProduction, Status::FailedPromoted}, {ClusterState::InArchiveRecovery, Status::ErrGeneric},
        {ClusterState::InCrashRecovery, Status::ErrGeneric},  {ClusterState::ShuttingDown, Status::ErrGeneric},
        {ClusterState::Unknown, Status::ErrGeneric},
    };
    for (const auto& r : rows) {
        Outcome o = classify_instance(stopped_with(r.state));
        EXPECT_EQ(o.status, r.expected) << static_cast<int>(r.state);
        EXPECT_EQ(o.reason.empty(), r.expected == Status::NotRunning) << static_cast<int>(r.state);
    }
}

TEST(ClassifyInstance, ProbeReportsAnUncleanStopAsNotRunning) {
    // After a fence reboot the probe finds the crashed primary or standby
    // down: not running (start recovers it), not a failure to count.
    for (ClusterState s : {ClusterState::InProduction, ClusterState::InArchiveRecovery, ClusterState::InCrashRecovery,
                           ClusterState::ShuttingDown, ClusterState::ShutDown}) {
        MonitorFacts f = stopped_with(s);
        f.probe = true;
        Outcome o = classify_instance(f);
        EXPECT_EQ(o.status, Status::NotRunning) << static_cast<int>(s);
        EXPECT_TRUE(o.reason.empty()) << static_cast<int>(s);
    }
    // What the probe cannot read stays an error, and running means running.
    MonitorFacts unknown = stopped_with(ClusterState::Unknown);
    unknown.probe = true;
    EXPECT_EQ(classify_instance(unknown).status, Status::ErrGeneric);
    MonitorFacts no_state;
    no_state.probe = true;
    EXPECT_EQ(classify_instance(no_state).status, Status::ErrGeneric);
    MonitorFacts silent;
    silent.probe = true;
    silent.liveness = Liveness::Running;
    EXPECT_EQ(classify_instance(silent).status, Status::ErrGeneric);
    MonitorFacts primary;
    primary.probe = true;
    primary.in_recovery = false;
    EXPECT_EQ(classify_instance(primary).status, Status::RunningPromoted);
}

TEST(ClassifyInstance, MissingDataIsNotRunning) {
    MonitorFacts f;
    f.data_present = false;
    EXPECT_EQ(classify_instance(f).status, Status::NotRunning);
}

TEST(ClassifyInstance, RunningButSilentAndHungRuntimeAreErrors) {
    MonitorFacts f;
    f.liveness = Liveness::Running;
    EXPECT_EQ(classify_instance(f).status, Status::ErrGeneric);
    f.liveness = Liveness::RuntimeHung;
    f.in_recovery = true;  // a hung runtime wins: nothing it says can be trusted
    Outcome o = classify_instance(f);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("runtime"), std::string::npos);
}

pg::ReplicationPeer peer(const std::string& state, const std::string& sync, std::uint64_t flush) {
    pg::ReplicationPeer p;
    p.application_name = "psql2";
    p.state = state;
    p.sync_state = sync;
    p.flush_lsn.value = flush;
    return p;
}

TEST(JudgeStandby, SyncModeOnlyTheSyncStandbyIsPromotable) {
    pg::Lsn primary{1000};
    auto v = judge_standby(peer("streaming", "sync", 1000), ocf::RepMode::Sync, primary, 0);
    EXPECT_EQ(v.state, RepState::InSync);
    EXPECT_EQ(v.score, kStandbyScore);
    v = judge_standby(peer("streaming", "async", 1000), ocf::RepMode::Sync, primary, 1 << 30);
    EXPECT_EQ(v.state, RepState::Lagging);
    EXPECT_LT(v.score, 0);
    v = judge_standby(peer("catchup", "sync", 10), ocf::RepMode::Sync, primary, 0);
    EXPECT_EQ(v.state, RepState::Catchup);
    EXPECT_LT(v.score, 0);
    v = judge_standby(std::nullopt, ocf::RepMode::Sync, primary, 0);
    EXPECT_EQ(v.state, RepState::Disconnected);
    EXPECT_LT(v.score, 0);
}

TEST(JudgeStandby, AsyncModeUsesTheLagWindow) {
    pg::Lsn primary{10000};
    EXPECT_EQ(judge_standby(peer("streaming", "async", 9000), ocf::RepMode::Async, primary, 1000).score, kStandbyScore);
    EXPECT_LT(judge_standby(peer("streaming", "async", 8999), ocf::RepMode::Async, primary, 1000).score, 0);
    // A standby ahead of the sampled primary LSN is not lagging.
    EXPECT_EQ(judge_standby(peer("streaming", "async", 20000), ocf::RepMode::Async, primary, 0).score, kStandbyScore);
}

TEST(DesiredSyncNames, NamesOnlyAStreamingStandbyInSyncMode) {
    EXPECT_EQ(desired_sync_names(peer("streaming", "async", 0), ocf::RepMode::Sync, "psql2"), "\"psql2\"");
    EXPECT_EQ(desired_sync_names(peer("catchup", "async", 0), ocf::RepMode::Sync, "psql2"), "");
    EXPECT_EQ(desired_sync_names(std::nullopt, ocf::RepMode::Sync, "psql2"), "");
    EXPECT_EQ(desired_sync_names(peer("streaming", "async", 0), ocf::RepMode::Async, "psql2"), "");
    EXPECT_EQ(desired_sync_names(peer("streaming", "async", 0), ocf::RepMode::Sync, "a\"b"), "\"a\"\"b\"");
}

TEST(StateAllowsPromotion, OnlyInSyncPrimaryOrUnknown) {
    EXPECT_TRUE(state_allows_promotion(std::nullopt));
    EXPECT_TRUE(state_allows_promotion(rep_state_record(RepState::InSync)));
    EXPECT_TRUE(state_allows_promotion(rep_state_record(RepState::Primary)));
    EXPECT_FALSE(state_allows_promotion(rep_state_record(RepState::Disconnected)));
    EXPECT_FALSE(state_allows_promotion(rep_state_record(RepState::Lagging)));
    EXPECT_FALSE(state_allows_promotion(rep_state_record(RepState::Catchup)));
}

TEST(RepStateText, RoundTripsAndNamesNoStateForOtherText) {
    struct Row {
        RepState state;
        const char* text;
    };
    for (const Row& r :
         {Row{RepState::InSync, "in-sync"}, Row{RepState::Lagging, "lagging"}, Row{RepState::Catchup, "catchup"},
          Row{RepState::Disconnected, "disconnected"}, Row{RepState::Primary, "primary"}}) {
        EXPECT_EQ(to_string(r.state), r.text);
        EXPECT_EQ(parse_rep_state(r.text), r.state);
    }
    EXPECT_EQ(parse_rep_state(""), std::nullopt);
    EXPECT_EQ(parse_rep_state("in_sync"), std::nullopt);
    EXPECT_EQ(parse_rep_state("In-Sync"), std::nullopt);
    EXPECT_FALSE(state_allows_promotion(rep_state_record(std::string("in_sync"))));
}

TEST(Walpos, RoundTripsAndRejectsGarbage) {
    pg::WalPosition pos{3, pg::Lsn{0x16B374D848ULL}};
    auto text = format_walpos(pos);
    EXPECT_EQ(text, "3:16/B374D848");
    auto back = parse_walpos(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, pos);
    EXPECT_FALSE(parse_walpos("3"));
    EXPECT_FALSE(parse_walpos("x:0/1"));
    EXPECT_FALSE(parse_walpos("3:nonsense"));
}

TEST(Election, TimelineBeatsLsn) {
    pg::WalPosition mine{2, pg::Lsn{100}};
    EXPECT_TRUE(better_candidates(mine, {{"b", {1, pg::Lsn{999}}}}).empty());
    EXPECT_TRUE(better_candidates(mine, {{"b", {2, pg::Lsn{100}}}}).empty());  // a tie keeps the candidate
    EXPECT_EQ(better_candidates(mine, {{"b", {2, pg::Lsn{101}}}}), std::vector<std::string>{"b"});
    EXPECT_EQ(better_candidates(mine, {{"b", {3, pg::Lsn{1}}}}), std::vector<std::string>{"b"});
}

pg::ControlData control(ClusterState s, pg::Timeline tl, std::string sysid = "7300") {
    pg::ControlData cd;
    cd.state = s;
    cd.checkpoint_timeline = tl;
    cd.system_identifier = std::move(sysid);
    return cd;
}

pg::InstanceStatus primary_on(pg::Timeline tl, std::string sysid = "7300") {
    pg::InstanceStatus st;
    st.position.timeline = tl;
    st.system_identifier = std::move(sysid);
    return st;
}

TEST(DecideRejoin, FormerPrimaryIsAlwaysRewound) {
    EXPECT_EQ(decide_rejoin(control(ClusterState::InProduction, 1), primary_on(2)), RejoinAction::Rewind);
    EXPECT_EQ(decide_rejoin(control(ClusterState::ShutDown, 1), primary_on(2)), RejoinAction::Rewind);
}

TEST(DecideRejoin, StandbyOnOlderTimelineIsRewoundElseStarts) {
    EXPECT_EQ(decide_rejoin(control(ClusterState::ShutDownInRecovery, 1), primary_on(2)), RejoinAction::Rewind);
    EXPECT_EQ(decide_rejoin(control(ClusterState::ShutDownInRecovery, 2), primary_on(2)), RejoinAction::StartAsStandby);
}

TEST(DecideRejoin, NoPrimaryMeansPlainStandbyAndForeignDataIsRefused) {
    EXPECT_EQ(decide_rejoin(control(ClusterState::InProduction, 1), std::nullopt), RejoinAction::StartAsStandby);
    EXPECT_EQ(decide_rejoin(control(ClusterState::ShutDown, 1, "1"), primary_on(1, "2")), RejoinAction::Refuse);
}

TEST(BootstrapScore, CleanPrimaryOrInSyncStateMayBootstrap) {
    EXPECT_EQ(bootstrap_score({.rep_state = std::nullopt, .was_clean_primary = true, .forced = false}),
              kBootstrapScore);
    EXPECT_EQ(
        bootstrap_score({.rep_state = rep_state_record(RepState::InSync), .was_clean_primary = false, .forced = false}),
        kBootstrapScore);
    EXPECT_EQ(bootstrap_score({.rep_state = std::nullopt, .was_clean_primary = false, .forced = false}), std::nullopt);
    EXPECT_EQ(bootstrap_score(
                  {.rep_state = rep_state_record(RepState::Disconnected), .was_clean_primary = true, .forced = false}),
              kNotPromotableScore);
    EXPECT_EQ(bootstrap_score(
                  {.rep_state = rep_state_record(RepState::Disconnected), .was_clean_primary = false, .forced = true}),
              kBootstrapScore);
}

}  // namespace
}  // namespace pgtwin::agent
