// SPDX-License-Identifier: GPL-2.0-or-later
// The command-line Cluster: argv, timeouts and parsing of crm_node, crm_attribute, attrd_updater.

#include <gtest/gtest.h>

#include "fakes.hpp"
#include "pgtwin/pcmk/cluster.hpp"

namespace pgtwin {
namespace {

using pcmk::Lifetime;
using testing::FakeClock;
using testing::FakeCommandRunner;

class ClusterCli : public ::testing::Test {
protected:
    FakeClock clock;
    FakeCommandRunner runner;
    std::unique_ptr<pcmk::Cluster> cluster = pcmk::make_cli_cluster(runner, "pgsql");
    Deadline deadline{clock, Millis{60000}};
};

TEST_F(ClusterCli, LocalNodeNameTrimsOutputAndCapsTheTimeout) {
    runner.expect({"crm_node", "-n"}, 0, "psql1\n");
    auto name = cluster->local_node_name(deadline);
    ASSERT_TRUE(name.ok()) << name.error().message;
    EXPECT_EQ(*name, "psql1");
    EXPECT_EQ(runner.calls().at(0).timeout, Millis{10000});
}

TEST_F(ClusterCli, TimeoutFollowsTheDeadlineWhenShorterThanTheCap) {
    Deadline shorter(clock, Millis{2500});
    runner.expect({"crm_node", "-n"}, 0, "psql1\n");
    ASSERT_TRUE(cluster->local_node_name(shorter).ok());
    EXPECT_EQ(runner.calls().at(0).timeout, Millis{2500});
}

TEST_F(ClusterCli, ExpiredDeadlineRunsNothing) {
    Deadline gone(clock, Millis{0});
    auto name = cluster->local_node_name(gone);
    ASSERT_FALSE(name.ok());
    EXPECT_EQ(name.error().kind, ErrorKind::Timeout);
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(ClusterCli, LocalNodeNameFailureCarriesStderr) {
    runner.expect({"crm_node", "-n"}, 102, "", "error: Could not connect to controller\n");
    auto name = cluster->local_node_name(deadline);
    ASSERT_FALSE(name.ok());
    EXPECT_EQ(name.error().kind, ErrorKind::Generic);
    EXPECT_NE(name.error().message.find("Could not connect to controller"), std::string::npos);
}

TEST_F(ClusterCli, SetPromotionScorePassesTheResourceInTheEnvironment) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-v", "1000"});
    ASSERT_TRUE(cluster->set_promotion_score("psql2", 1000, deadline).ok());
    const auto& cmd = runner.calls().at(0);
    ASSERT_EQ(cmd.env.count("OCF_RESOURCE_INSTANCE"), 1U);
    EXPECT_EQ(cmd.env.at("OCF_RESOURCE_INSTANCE"), "pgsql");
}

TEST_F(ClusterCli, PromotionScoreParsesQuietOutput) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-G", "-q"}, 0, "-1000\n");
    auto score = cluster->promotion_score("psql2", deadline);
    ASSERT_TRUE(score.ok()) << score.error().message;
    ASSERT_TRUE(score->has_value());
    EXPECT_EQ(**score, -1000);
}

TEST_F(ClusterCli, PromotionScoreUnderstandsInfinity) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-G", "-q"}, 0, "INFINITY\n");
    auto score = cluster->promotion_score("psql2", deadline);
    ASSERT_TRUE(score.ok());
    EXPECT_EQ(score->value_or(0), 1000000);
}

TEST_F(ClusterCli, PromotionScoreNotFoundIsNullopt) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-G", "-q"}, 105, "",
                  "crm_attribute: Error performing operation: No such device or address\n");
    auto score = cluster->promotion_score("psql2", deadline);
    ASSERT_TRUE(score.ok()) << score.error().message;
    EXPECT_FALSE(score->has_value());
}

TEST_F(ClusterCli, PromotionScoreOtherFailureIsAnError) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-G", "-q"}, 102, "",
                  "Error signing on to the CIB service: Transport endpoint is not connected\n");
    auto score = cluster->promotion_score("psql2", deadline);
    ASSERT_FALSE(score.ok());
    EXPECT_EQ(score.error().kind, ErrorKind::Generic);
    EXPECT_NE(score.error().message.find("Transport endpoint"), std::string::npos);
}

TEST_F(ClusterCli, PromotionScoreGarbageIsAnError) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-G", "-q"}, 0, "12abc\n");
    EXPECT_FALSE(cluster->promotion_score("psql2", deadline).ok());
}

TEST_F(ClusterCli, DeletePromotionScoreToleratesMissing) {
    runner.expect({"crm_attribute", "--promotion", "-N", "psql2", "-D"}, 105, "",
                  "Error performing operation: No such device or address\n");
    EXPECT_TRUE(cluster->delete_promotion_score("psql2", deadline).ok());
}

TEST_F(ClusterCli, TimedOutToolIsATimeout) {
    // A runner that reports every command as killed on timeout.
    struct TimingOut final : sys::CommandRunner {
        Result<sys::CommandResult> run(const sys::Command&) override { return sys::CommandResult{-1, 9, true, "", ""}; }
    } timing_out;
    auto c = pcmk::make_cli_cluster(timing_out, "pgsql");
    auto r = c->promotion_score("psql2", deadline);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
}

TEST_F(ClusterCli, ForeverAttributeUsesCrmAttribute) {
    runner.expect({"crm_attribute", "-N", "psql2", "-n", "pgtwin-state", "-l", "forever", "-v", "stale"});
    runner.expect({"crm_attribute", "-N", "psql2", "-n", "pgtwin-state", "-l", "forever", "-G", "-q"}, 0, "stale\n");
    ASSERT_TRUE(cluster->set_attribute("psql2", "pgtwin-state", "stale", Lifetime::Forever, deadline).ok());
    auto v = cluster->attribute("psql2", "pgtwin-state", Lifetime::Forever, deadline);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or(""), "stale");
    EXPECT_EQ(runner.calls().at(0).env.count("OCF_RESOURCE_INSTANCE"), 0U);
}

TEST_F(ClusterCli, ForeverAttributeNotFoundIsNullopt) {
    runner.expect({"crm_attribute", "-N", "psql2", "-n", "x", "-l", "forever", "-G", "-q"}, 105, "",
                  "crm_attribute: Error performing operation: No such device or address\n");
    auto v = cluster->attribute("psql2", "x", Lifetime::Forever, deadline);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->has_value());
}

TEST_F(ClusterCli, RebootAttributeGoesThroughAttrd) {
    runner.expect({"attrd_updater", "-n", "lag", "-N", "psql2", "-U", "42"});
    runner.expect({"attrd_updater", "-n", "lag", "-N", "psql2", "-Q"}, 0, "name=\"lag\" host=\"psql2\" value=\"42\"\n");
    ASSERT_TRUE(cluster->set_attribute("psql2", "lag", "42", Lifetime::Reboot, deadline).ok());
    auto v = cluster->attribute("psql2", "lag", Lifetime::Reboot, deadline);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or(""), "42");
}

TEST_F(ClusterCli, AttrdQueryPicksTheRequestedHost) {
    runner.expect({"attrd_updater", "-n", "lag", "-N", "psql2", "-Q"}, 0,
                  "name=\"lag\" host=\"psql1\" value=\"1\"\nname=\"lag\" host=\"psql2\" value=\"2\"\n");
    auto v = cluster->attribute("psql2", "lag", Lifetime::Reboot, deadline);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or(""), "2");
}

TEST_F(ClusterCli, AttrdMissingAttributeIsNullopt) {
    runner.expect({"attrd_updater", "-n", "lag", "-N", "psql2", "-Q"}, 65, "",
                  "attrd_updater: Could not query value of lag: attribute does not exist\n");
    auto v = cluster->attribute("psql2", "lag", Lifetime::Reboot, deadline);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_FALSE(v->has_value());
}

TEST_F(ClusterCli, PrivateAttributeRoundTrip) {
    runner.expect({"attrd_updater", "-p", "-n", "pgtwin-lsn", "-N", "psql1", "-U", "2:0/3000060"});
    runner.expect({"attrd_updater", "-n", "pgtwin-lsn", "-N", "psql1", "-Q"}, 0,
                  "name=\"pgtwin-lsn\" host=\"psql1\" value=\"2:0/3000060\"\n");
    runner.expect({"attrd_updater", "-p", "-n", "pgtwin-lsn", "-N", "psql1", "-D"});
    runner.expect({"attrd_updater", "-n", "pgtwin-lsn", "-N", "psql1", "-Q"}, 0,
                  "name=\"pgtwin-lsn\" host=\"psql1\" value=\"\"\n");
    ASSERT_TRUE(cluster->set_private_attribute("psql1", "pgtwin-lsn", "2:0/3000060", deadline).ok());
    auto v = cluster->private_attribute("psql1", "pgtwin-lsn", deadline);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or(""), "2:0/3000060");
    ASSERT_TRUE(cluster->delete_private_attribute("psql1", "pgtwin-lsn", deadline).ok());
    auto gone = cluster->private_attribute("psql1", "pgtwin-lsn", deadline);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());  // attrd's "deleted" is an empty value
    EXPECT_TRUE(runner.done());
}

TEST_F(ClusterCli, RunnerErrorPropagates) {
    runner.expect_error({"crm_node", "-n"}, fail(ErrorKind::NotInstalled, "crm_node: not found"));
    auto name = cluster->local_node_name(deadline);
    ASSERT_FALSE(name.ok());
    EXPECT_EQ(name.error().kind, ErrorKind::NotInstalled);
}

}  // namespace
}  // namespace pgtwin
