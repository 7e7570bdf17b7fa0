// SPDX-License-Identifier: GPL-2.0-or-later
// Review H1 (issue 7 item 2): the primary stops waiting for its synchronous
// standby only when the standby is a member of this partition or cleanly
// down. The rule, the membership reading from crm_mon XML, the CLI call and
// the gate in the primary's monitor.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent_fixture.hpp"
#include "fakes.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/pcmk/crm_mon.hpp"

namespace pgtwin::testing {
namespace {

using pcmk::Membership;

std::string sample(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// crm_mon XML with one node line for psql2 (flags as given), in a cluster
// with fencing enabled unless `fencing` is "false".
std::string one_node(const std::string& flags, const std::string& fencing = "true") {
    return "<pacemaker-result api-version=\"2.25\"><summary><cluster_options stonith-enabled=\"" + fencing +
           "\"/></summary><nodes>"
           "<node name=\"psql1\" id=\"1\" online=\"true\" pending=\"false\" unclean=\"false\"/>"
           "<node name=\"psql2\" id=\"2\" " +
           flags + "/></nodes></pacemaker-result>";
}

TEST(MayDegrade, OnlyAMemberOrACleanlyDownPeer) {
    struct Row {
        std::optional<Membership> peer;
        bool allowed;
    };
    const Row rows[] = {
        {Membership::Member, true},        // the not-promotable record reaches its CIB copy
        {Membership::CleanDown, true},     // fenced or left: it syncs the CIB when it rejoins
        {Membership::DownUnfenced, true},  // no fencing: no fence would ever end the wait
        {Membership::Unclean, false},      // another partition may promote it as in sync
        {Membership::Unknown, false},      // pending / not listed
        {std::nullopt, false},             // crm_mon failed
    };
    for (const auto& r : rows) {
        EXPECT_EQ(agent::may_degrade(r.peer), r.allowed) << (r.peer ? static_cast<int>(*r.peer) : -1);
    }
}

TEST(MembershipOf, ReadsTheSamplesPacemakerPrinted) {
    auto healthy = pcmk::parse_crm_mon(sample("crm_mon-two-nodes.xml"));
    ASSERT_TRUE(healthy.ok()) << healthy.error().message;
    EXPECT_EQ(pcmk::membership_of(*healthy, "psql2"), Membership::Member);
    auto lost = pcmk::parse_crm_mon(sample("crm_mon-unclean-standby.xml"));
    ASSERT_TRUE(lost.ok()) << lost.error().message;
    EXPECT_EQ(pcmk::membership_of(*lost, "psql2"), Membership::Unclean);
    EXPECT_EQ(pcmk::membership_of(*lost, "psql3"), Membership::Unknown);
}

TEST(MembershipOf, FlagTable) {
    struct Row {
        const char* flags;
        Membership expected;
    };
    const Row rows[] = {
        {"online=\"true\" pending=\"false\" unclean=\"false\"", Membership::Member},
        {"online=\"false\" pending=\"false\" unclean=\"false\"", Membership::CleanDown},
        {"online=\"false\" pending=\"false\" unclean=\"true\"", Membership::Unclean},
        {"online=\"true\" pending=\"false\" unclean=\"true\"", Membership::Unclean},
        {"online=\"true\" pending=\"true\" unclean=\"false\"", Membership::Unknown},
        {"online=\"false\" pending=\"true\" unclean=\"false\"", Membership::Unknown},
    };
    for (const auto& r : rows) {
        auto st = pcmk::parse_crm_mon(one_node(r.flags));
        ASSERT_TRUE(st.ok()) << st.error().message;
        EXPECT_EQ(pcmk::membership_of(*st, "psql2"), r.expected) << r.flags;
    }
}

TEST(MembershipOf, DownWithoutFencingIsNotCleanDown) {
    // Without fencing Pacemaker marks a lost node clean at once: nobody
    // confirmed that it stopped.
    auto st = pcmk::parse_crm_mon(one_node("online=\"false\" pending=\"false\" unclean=\"false\"", "false"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_FALSE(st->fencing_enabled);
    EXPECT_EQ(pcmk::membership_of(*st, "psql2"), Membership::DownUnfenced);
    auto legacy = pcmk::parse_crm_mon(
        "<crm_mon><nodes><node name=\"psql2\" online=\"false\" pending=\"false\" "
        "unclean=\"false\"/></nodes></crm_mon>");
    ASSERT_TRUE(legacy.ok()) << legacy.error().message;
    EXPECT_EQ(pcmk::membership_of(*legacy, "psql2"), Membership::DownUnfenced);  // no summary: not known
}

TEST(ClusterCliMembership, RunsCrmMonWithACappedTimeout) {
    FakeClock clock;
    FakeCommandRunner runner;
    auto cluster = pcmk::make_cli_cluster(runner, "pgsql");
    runner.expect({"crm_mon", "-1", "--output-as=xml"}, 0, sample("crm_mon-unclean-standby.xml"));
    auto m = cluster->membership("psql2", Deadline(clock, Millis{60000}));
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(*m, Membership::Unclean);
    EXPECT_EQ(runner.calls().at(0).timeout, Millis{10000});

    runner.expect({"crm_mon", "-1", "--output-as=xml"}, 102, "", "crm_mon: Connection to cluster failed\n");
    auto failed = cluster->membership("psql2", Deadline(clock, Millis{3000}));
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("Connection to cluster failed"), std::string::npos);
    EXPECT_EQ(runner.calls().at(1).timeout, Millis{3000});
}

// The primary's monitor against fakes: psql1 primary, psql2 its standby.
class PartitionGate : public AgentFixture {
protected:
    void SetUp() override {
        AgentFixture::SetUp();
        // The standby was synchronous and in sync; its walsender is gone now.
        local.settings["synchronous_standby_names"] = "\"psql2\"";
        cluster.attrs["psql2/" + rep_state] = "in-sync";
        cluster.scores["psql2"] = 1000;
    }

    ocf::Status monitor() {
        auto c = ctx();
        return agent::action_monitor(c).status;
    }
    bool degraded() const {
        return std::find(events.begin(), events.end(), "alter:synchronous_standby_names=") != events.end();
    }
};

TEST_F(PartitionGate, UncleanPeerNotInThePartitionKeepsCommitsWaiting) {
    cluster.peer_membership = Membership::Unclean;
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_FALSE(degraded());
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
    EXPECT_EQ(cluster.attrs["psql2/" + rep_state], "in-sync");  // nothing this partition alone would see
    EXPECT_EQ(cluster.scores["psql2"], 1000);
    EXPECT_EQ(cluster.membership_queries, 1);
}

TEST_F(PartitionGate, UnknownMembershipKeepsCommitsWaiting) {
    cluster.fail_membership = true;
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_FALSE(degraded());
    cluster.fail_membership = false;
    cluster.peer_membership = Membership::Unknown;
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_FALSE(degraded());
    EXPECT_EQ(local.settings["synchronous_standby_names"], "\"psql2\"");
}

TEST_F(PartitionGate, FencedPeerIsDroppedAfterItIsMarkedNotPromotable) {
    cluster.peer_membership = Membership::Unclean;
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    cluster.peer_membership = Membership::CleanDown;  // fencing confirmed
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    ASSERT_TRUE(degraded());
    EXPECT_EQ(local.settings["synchronous_standby_names"], "");
    auto marked = std::find(events.begin(), events.end(), "attr:psql2:" + rep_state + "=disconnected");
    auto dropped = std::find(events.begin(), events.end(), "alter:synchronous_standby_names=");
    EXPECT_LT(marked, dropped);
}

TEST_F(PartitionGate, MemberPeerIsDropped) {
    cluster.peer_membership = Membership::Member;  // e.g. its PostgreSQL stopped, the node is up
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_TRUE(degraded());
}

TEST_F(PartitionGate, HealthyMonitorDoesNotAskForMembership) {
    local.replication.push_back(FakePg::standby_row("psql2", "streaming", "sync"));
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_EQ(monitor(), ocf::Status::RunningPromoted);
    EXPECT_EQ(cluster.membership_queries, 0);
    EXPECT_TRUE(runner.calls().empty());
}

// find_peer_primary after a node loss: the fenced peer's address drops the
// connection attempt. The probe gives up after its short first try only when
// Pacemaker reports the peer fenced; otherwise it tries again for kPeerCap.
class PeerProbeOfADroppingHost : public AgentFixture {
protected:
    agent::PeerProbe probe() {
        auto c = ctx();
        return agent::find_peer_primary(c);
    }
};

TEST_F(PeerProbeOfADroppingHost, FencedPeerIsAbsentAfterTheShortTry) {
    peer.dropping = true;
    cluster.peer_membership = Membership::CleanDown;
    auto p = probe();
    EXPECT_EQ(p.role, agent::PeerRole::Absent);
    EXPECT_EQ(connector.caps, (std::vector<Millis>{agent::kPeerFirstTryCap}));
    EXPECT_EQ(cluster.membership_queries, 1);
}

TEST_F(PeerProbeOfADroppingHost, AnyOtherPeerGetsTheFullCap) {
    const std::optional<Membership> others[] = {Membership::Member, Membership::Unclean, Membership::DownUnfenced,
                                                Membership::Unknown, std::nullopt /* crm_mon failed */};
    for (const auto& m : others) {
        connector.caps.clear();
        peer.dropping = true;
        cluster.fail_membership = !m;
        if (m) cluster.peer_membership = *m;
        EXPECT_EQ(probe().role, agent::PeerRole::Absent);
        EXPECT_EQ(connector.caps, (std::vector<Millis>{agent::kPeerFirstTryCap, agent::kPeerCap}))
            << (m ? static_cast<int>(*m) : -1);
    }
}

TEST_F(PeerProbeOfADroppingHost, SlowServerIsWaitedForWhateverPacemakerSays) {
    // The host answered, only its server is slow: it lives, so the probe
    // waits the full cap and finds the primary without asking Pacemaker.
    peer.slow_handshake = true;
    peer.in_recovery = false;
    cluster.peer_membership = Membership::CleanDown;
    EXPECT_EQ(probe().role, agent::PeerRole::Primary);
    EXPECT_EQ(connector.caps, (std::vector<Millis>{agent::kPeerFirstTryCap, agent::kPeerCap}));
    EXPECT_EQ(cluster.membership_queries, 0);
}

TEST_F(PeerProbeOfADroppingHost, AnsweringPeerIsProbedWhateverPacemakerSays) {
    // A live host answers the short try, so a primary running outside
    // Pacemaker's knowledge (reported gone) is still found.
    cluster.peer_membership = Membership::CleanDown;
    peer.in_recovery = false;
    EXPECT_EQ(probe().role, agent::PeerRole::Primary);
    peer.answering = false;  // refused: no wait either way
    EXPECT_EQ(probe().role, agent::PeerRole::Absent);
    EXPECT_EQ(cluster.membership_queries, 0);
    EXPECT_EQ(connector.caps, (std::vector<Millis>{agent::kPeerFirstTryCap, agent::kPeerFirstTryCap}));
}

}  // namespace
}  // namespace pgtwin::testing
