// SPDX-License-Identifier: GPL-2.0-or-later
// Promotion and election safety against fakes (issue 7 items 5-8): peer
// checks that fail closed, the election on this round's positions only, the
// state a fresh clone gets, and the order of effects around pg_ctl promote.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "agent_fixture.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"

namespace pgtwin::testing {
namespace {

using agent::Outcome;
using ocf::Status;

// FakeCluster with hooks: a callback on every private attribute read (to
// make a value appear late) and a number of writes that fail first.
class ScriptedCluster final : public pcmk::Cluster {
public:
    explicit ScriptedCluster(FakeCluster& inner) : m_in(inner) {}
    std::function<void(const std::string& node, const std::string& name)> on_private_read;
    int failing_writes = 0;  // the next N attribute/score writes fail

    Result<std::string> local_node_name(const Deadline& d) override { return m_in.local_node_name(d); }
    Result<void> set_promotion_score(const std::string& node, int score, const Deadline& d) override {
        if (consume_failure()) return fail(ErrorKind::Generic, "cib busy");
        return m_in.set_promotion_score(node, score, d);
    }
    Result<std::optional<int>> promotion_score(const std::string& node, const Deadline& d) override {
        return m_in.promotion_score(node, d);
    }
    Result<void> delete_promotion_score(const std::string& node, const Deadline& d) override {
        return m_in.delete_promotion_score(node, d);
    }
    Result<pcmk::Membership> membership(const std::string& node, const Deadline& d) override {
        return m_in.membership(node, d);
    }
    Result<void> set_attribute(const std::string& node, const std::string& name, const std::string& value,
                               pcmk::Lifetime l, const Deadline& d) override {
        if (consume_failure()) return fail(ErrorKind::Generic, "cib busy");
        return m_in.set_attribute(node, name, value, l, d);
    }
    Result<std::optional<std::string>> attribute(const std::string& node, const std::string& name, pcmk::Lifetime l,
                                                 const Deadline& d) override {
        return m_in.attribute(node, name, l, d);
    }
    Result<void> set_private_attribute(const std::string& node, const std::string& name, const std::string& value,
                                       const Deadline& d) override {
        return m_in.set_private_attribute(node, name, value, d);
    }
    Result<std::optional<std::string>> private_attribute(const std::string& node, const std::string& name,
                                                         const Deadline& d) override {
        if (on_private_read) on_private_read(node, name);
        return m_in.private_attribute(node, name, d);
    }
    Result<void> delete_private_attribute(const std::string& node, const std::string& name,
                                          const Deadline& d) override {
        return m_in.delete_private_attribute(node, name, d);
    }

private:
    bool consume_failure() {
        if (failing_writes <= 0) return false;
        --failing_writes;
        return true;
    }
    FakeCluster& m_in;
};

class PromotionSafety : public AgentFixture {
protected:
    void SetUp() override {
        AgentFixture::SetUp();
        meta.interval = Millis{0};  // promote and notify have no interval
        meta.timeout = Millis{60000};
        local.in_recovery = true;  // a standby about to be promoted
        peer.in_recovery = true;
    }
    pcmk::Cluster& cluster_seam() override { return scripted; }
    // pg_ctl promote succeeds (and makes the instance writable); argv recorded.
    void expect_pg_ctl_promote() {
        runner.expect_match([&](const sys::Command& cmd) {
            bool is_promote = cmd.argv.size() > 1 && cmd.argv[0] == "pg_ctl" && cmd.argv[1] == "promote";
            if (is_promote) {
                local.in_recovery = false;
                events.push_back("pg_ctl promote");
                promote_argv = cmd.argv;
            }
            return is_promote;
        });
    }
    void record_members(const std::string& members) { cluster.attrs["psql1/private:pgtwin-pgsql-election"] = members; }
    void set_pre_promote(const std::string& type, const std::string& op) {
        notify.type = type;
        notify.operation = op;
        notify.active = {"psql1", "psql2"};
        notify.promote = {"psql1"};
    }

    ScriptedCluster scripted{cluster};
    std::vector<std::string> promote_argv;
    const std::string walpos = "private:pgtwin-pgsql-walpos";
};

// --- item 5: peer checks that fail closed -------------------------------

TEST_F(PromotionSafety, PromoteSeesAPrimaryPeerThatLacksPgMonitor) {
    peer.in_recovery = false;
    peer.no_pg_monitor = true;  // before: the status query failed and the peer looked absent
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("two primaries"), std::string::npos) << o.reason;
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(PromotionSafety, PromoteRefusesWhenThePeerAnswersButItsRoleIsUnknown) {
    peer.status_fails = true;
    cfg.force_promotion = true;  // not even forced
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("role cannot be read"), std::string::npos) << o.reason;
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(PromotionSafety, StandbyMonitorCountsAPeerOfUnknownRoleAsAStreamingFailure) {
    peer.status_fails = true;  // local standby has no WAL receiver
    cfg.replication_failure_threshold = 1;
    meta.interval = Millis{10000};
    auto c = ctx();
    Outcome o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("has not streamed"), std::string::npos) << o.reason;
}

TEST_F(PromotionSafety, PeerProbeIsThreeValuedPlusAbsent) {
    auto c = ctx();
    EXPECT_EQ(agent::find_peer_primary(c).role, agent::PeerRole::NotPrimary);
    peer.in_recovery = false;
    auto primary = agent::find_peer_primary(c);
    EXPECT_EQ(primary.role, agent::PeerRole::Primary);
    ASSERT_TRUE(primary.primary.has_value());
    peer.status_fails = true;
    EXPECT_EQ(agent::find_peer_primary(c).role, agent::PeerRole::Unknown);
    EXPECT_TRUE(agent::find_peer_primary(c).possibly_primary());
    peer.answering = false;
    EXPECT_EQ(agent::find_peer_primary(c).role, agent::PeerRole::Absent);
}

// --- item 6: election on this round's positions -------------------------

TEST_F(PromotionSafety, PrePromoteOfAStoppedInstanceDeletesItsOldPosition) {
    cluster.attrs["psql1/" + walpos] = "1:0/9000000";  // from an earlier, aborted round
    local.answering = false;
    set_pre_promote("pre", "promote");
    auto c = ctx();
    EXPECT_EQ(agent::action_notify(c).status, Status::Success);
    EXPECT_EQ(cluster.attrs.count("psql1/" + walpos), 0U);
    EXPECT_EQ(cluster.attrs["psql1/private:pgtwin-pgsql-election"], "psql1 psql2");
}

TEST_F(PromotionSafety, PrePromoteReplacesTheOldPositionWithTheCurrentOne) {
    cluster.attrs["psql1/" + walpos] = "1:0/9000000";
    set_pre_promote("pre", "promote");
    auto c = ctx();
    EXPECT_EQ(agent::action_notify(c).status, Status::Success);
    EXPECT_EQ(cluster.attrs["psql1/" + walpos], "1:0/3000000");
}

TEST_F(PromotionSafety, PromoteIgnoresAStalePositionOfAPeerOutsideTheElection) {
    peer.answering = false;
    cluster.attrs["psql2/" + walpos] = "1:0/9000000";  // newer, but psql2 is not in this round
    record_members("psql1");
    expect_pg_ctl_promote();
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_TRUE(runner.done());
}

TEST_F(PromotionSafety, PromoteWaitsForAMembersPositionThatAppearsLate) {
    peer.answering = false;
    record_members("psql1 psql2");
    int reads = 0;
    scripted.on_private_read = [&](const std::string& node, const std::string& name) {
        if (node == "psql2" && name == "pgtwin-pgsql-walpos" && ++reads == 4) {
            cluster.attrs["psql2/" + walpos] = "1:0/5000000";  // attrd propagated it only now
        }
    };
    auto start = clock.now();
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("newer data"), std::string::npos) << o.reason;
    EXPECT_GT(clock.now(), start);
    EXPECT_EQ(cluster.scores["psql2"], 1000);
    EXPECT_EQ(cluster.scores["psql1"], 1);
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(PromotionSafety, PromoteProceedsWhenAMembersPositionNeverAppears) {
    peer.answering = false;
    record_members("psql1 psql2");
    expect_pg_ctl_promote();
    auto start = clock.now();
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    // The wait is bounded: at most the election cap, well inside the deadline.
    EXPECT_GT(clock.now() - start, Millis{0});
    EXPECT_LE(clock.now() - start, Millis{25000});
}

TEST_F(PromotionSafety, AMemberThatMayNotBePromotedCannotWinTheElection) {
    peer.answering = false;
    record_members("psql1 psql2");
    cluster.attrs["psql2/" + walpos] = "1:0/9000000";
    cluster.attrs["psql2/" + rep_state] = "disconnected";
    expect_pg_ctl_promote();
    auto c = ctx();
    EXPECT_EQ(agent::action_promote(c).status, Status::Success);
}

// --- item 8: promote ordering -------------------------------------------

TEST_F(PromotionSafety, PromoteRefusesWhenThePeerCannotBeMarkedAndRunsNothing) {
    peer.answering = false;
    cluster.fail_writes = true;
    auto c = ctx();
    Outcome o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("not promotable before promoting"), std::string::npos) << o.reason;
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(PromotionSafety, PeerIsMarkedStaleBeforePgCtlPromoteWhichGetsATimeout) {
    peer.answering = false;
    cluster.attrs["psql2/" + rep_state] = "primary";  // the failed old primary
    expect_pg_ctl_promote();
    auto c = ctx();
    EXPECT_EQ(agent::action_promote(c).status, Status::Success);
    auto marked = index_of("attr:psql2:" + rep_state + "=disconnected");
    auto score = index_of("score:psql2=-1000");
    auto promote = index_of("pg_ctl promote");
    ASSERT_GE(marked, 0);
    ASSERT_GE(score, 0);
    ASSERT_GE(promote, 0);
    EXPECT_LT(marked, promote);
    EXPECT_LT(score, promote);
    auto t = std::find(promote_argv.begin(), promote_argv.end(), "-t");
    ASSERT_NE(t, promote_argv.end());
    ASSERT_NE(t + 1, promote_argv.end());
    int seconds = std::stoi(*(t + 1));
    EXPECT_GT(seconds, 0);
    EXPECT_LT(seconds, 60);  // below the 60 s operation timeout
    EXPECT_EQ(cluster.attrs["psql1/" + rep_state], "primary");
    EXPECT_EQ(cluster.scores["psql1"], 1001);
}

TEST_F(PromotionSafety, AFailedAttributeWriteIsRetried) {
    peer.answering = false;
    scripted.failing_writes = 2;
    expect_pg_ctl_promote();
    auto c = ctx();
    EXPECT_EQ(agent::action_promote(c).status, Status::Success);
    EXPECT_EQ(cluster.attrs["psql2/" + rep_state], "disconnected");
    EXPECT_EQ(cluster.scores["psql2"], -1000);
    EXPECT_EQ(cluster.attrs["psql1/" + rep_state], "primary");  // nothing dropped after the retried ones
    EXPECT_EQ(cluster.scores["psql1"], 1001);
}

// --- item 7: a fresh clone's replication state --------------------------

class CloneState : public PromotionSafety {
protected:
    void SetUp() override {
        PromotionSafety::SetUp();
        std::filesystem::remove(m_dir / "data" / "PG_VERSION");  // an empty data directory
        backend->live = backend::Liveness::Stopped;
        cluster.attrs["psql1/" + rep_state] = "primary";  // recorded before its disk was lost
        runner.expect_match([&](const sys::Command& cmd) {
            bool is_clone = cmd.argv[0] == "pg_basebackup";
            if (is_clone) {
                std::ofstream(m_dir / "data" / "PG_VERSION") << "15\n";
                events.push_back("pg_basebackup");
            }
            return is_clone;
        });
    }
};

TEST_F(CloneState, ACloneOfAStaleStandbyInheritsItsStateNotPrimary) {
    cluster.attrs["psql2/" + rep_state] = "disconnected";
    auto c = ctx();
    Outcome o = agent::action_start(c);
    ASSERT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_EQ(cluster.attrs["psql1/" + rep_state], "disconnected");
    EXPECT_EQ(cluster.scores["psql1"], -1000);
    EXPECT_LT(index_of("attr:psql1:" + rep_state + "=disconnected"), index_of("pg_basebackup"));
}

TEST_F(CloneState, ACloneOfAPrimaryIsCatchingUpUntilThePrimaryJudgesIt) {
    peer.in_recovery = false;
    auto c = ctx();
    Outcome o = agent::action_start(c);
    ASSERT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_EQ(cluster.attrs["psql1/" + rep_state], "catchup");
    EXPECT_EQ(cluster.scores.count("psql1"), 0U);  // the primary publishes it
}

}  // namespace
}  // namespace pgtwin::testing
