// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 10 (an administrator's PostgreSQL as it is): refused connections,
// the node list from the cluster, validate-all's version and clone checks,
// and reload-agent.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "agent_fixture.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/ocf/metadata.hpp"
#include "pgtwin/ocf/params.hpp"
#include "pgtwin/pcmk/nodes.hpp"
#include "pgtwin/pg/client.hpp"
#include "pgtwin/sys/identity.hpp"

namespace pgtwin::testing {
namespace {

using ocf::Status;

// --- connect failures: "not up yet" versus "up, refused us" ---

TEST(ConnectErrorKind, ServerThatRefusesUsIsPermission) {
    EXPECT_EQ(pg::connect_error_kind("connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: "
                                     "FATAL: Peer authentication failed for user \"postgres\""),
              ErrorKind::Permission);
    EXPECT_EQ(pg::connect_error_kind("connection to server at \"10.0.0.2\", port 5432 failed: FATAL: no "
                                     "pg_hba.conf entry for host \"10.0.0.1\", user \"replicator\""),
              ErrorKind::Permission);
    EXPECT_EQ(pg::connect_error_kind("connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: FATAL: role "
                                     "\"root\" does not exist"),
              ErrorKind::Permission);
    EXPECT_EQ(pg::connect_error_kind("connection to server at \"10.0.0.2\", port 5432 failed: fe_sendauth: no "
                                     "password supplied"),
              ErrorKind::Permission);
}

TEST(ConnectErrorKind, ServerNotUpYetIsNotRunning) {
    EXPECT_EQ(pg::connect_error_kind("connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: No "
                                     "such file or directory Is the server running locally and accepting "
                                     "connections on that socket?"),
              ErrorKind::NotRunning);
    EXPECT_EQ(pg::connect_error_kind("connection to server on socket \"/x/.s.PGSQL.5432\" failed: FATAL: the "
                                     "database system is starting up"),
              ErrorKind::NotRunning);
    EXPECT_EQ(pg::connect_error_kind("... failed: FATAL: the database system is not yet accepting connections "
                                     "DETAIL: Consistent recovery state has not been yet reached."),
              ErrorKind::NotRunning);
    EXPECT_EQ(pg::connect_error_kind("... failed: FATAL: the database system is shutting down"), ErrorKind::NotRunning);
    EXPECT_EQ(pg::connect_error_kind("... failed: FATAL: sorry, too many clients already"), ErrorKind::NotRunning);
    EXPECT_EQ(pg::connect_error_kind("... failed: Connection refused Is the server running on that host?"),
              ErrorKind::NotRunning);
}

TEST(EffectiveUser, ActsAsTheUserAndRestores) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto user = sys::lookup_user("nobody");
    ASSERT_TRUE(user.ok());
    {
        auto as = sys::EffectiveUser::assume(*user);
        ASSERT_TRUE(as.ok()) << as.error().message;
        EXPECT_TRUE(as->switched());
        EXPECT_EQ(::geteuid(), user->uid);
        EXPECT_EQ(::getegid(), user->gid);
        EXPECT_EQ(::getuid(), 0U);  // the real uid stays root: the restore cannot fail
    }
    EXPECT_EQ(::geteuid(), 0U);
    EXPECT_EQ(::getegid(), 0U);
}

// --- node list from the cluster ---

TEST(CrmNodeList, ParsesIdNameStateLinesSortedByName) {
    EXPECT_EQ(pcmk::parse_crm_node_list("2 psql2 member\n1 psql1 lost\n"),
              (std::vector<std::string>{"psql1", "psql2"}));
    EXPECT_EQ(pcmk::parse_crm_node_list("1 psql1 member\n\n3 (null) member\n4\n"), (std::vector<std::string>{"psql1"}));
    EXPECT_EQ(pcmk::parse_crm_node_list(""), std::vector<std::string>{});
}

TEST(CrmNodeList, RunsCrmNodeMinusL) {
    FakeCommandRunner runner;
    FakeClock clock;
    runner.expect({"crm_node", "-l"}, 0, "1 b member\n2 a member\n");
    auto nodes = pcmk::cluster_nodes(runner, Deadline(clock, Millis{20000}));
    ASSERT_TRUE(nodes.ok());
    EXPECT_EQ(*nodes, (std::vector<std::string>{"a", "b"}));
}

TEST(CrmNodeList, NoClusterIsAnError) {
    FakeCommandRunner runner;
    FakeClock clock;
    runner.expect({"crm_node", "-l"}, 102, "", "error: Could not connect to controller: Transport endpoint");
    EXPECT_FALSE(pcmk::cluster_nodes(runner, Deadline(clock, Millis{20000})).ok());
}

// --- validate-all ---

class AdminValidate : public AgentFixture {};

TEST_F(AdminValidate, NoPeerIsNoConfigurationError) {
    cfg.node_list.clear();  // no cluster (ocf-tester): the agent runs alone
    auto c = ctx();
    c.peer.clear();
    EXPECT_EQ(agent::validate_configuration(c, backend::ValidateScope::Full).status, Status::Success);
}

TEST_F(AdminValidate, ClusterOfThreeNodesNeedsNodeList) {
    cfg.node_list = {"psql1", "psql2", "quorum"};
    auto c = ctx();
    auto o = agent::validate_configuration(c, backend::ValidateScope::Full);
    EXPECT_EQ(o.status, Status::ErrConfigured);
    EXPECT_NE(o.reason.find("set node_list"), std::string::npos) << o.reason;
}

TEST_F(AdminValidate, WrongCloneMetaAttributesAreConfigurationErrors) {
    auto status_with = [this](bool notify_on, int promoted_max, int clone_max) {
        meta.notify_passed = true;
        meta.notify_enabled = notify_on;
        meta.promoted_max = promoted_max;
        meta.clone_max = clone_max;
        auto c = ctx();
        return agent::validate_configuration(c, backend::ValidateScope::Full).status;
    };
    EXPECT_EQ(status_with(false, 1, 2), Status::ErrConfigured);
    EXPECT_EQ(status_with(true, 2, 2), Status::ErrConfigured);
    EXPECT_EQ(status_with(true, 1, 3), Status::ErrConfigured);
    EXPECT_EQ(status_with(true, 1, 2), Status::Success);
}

TEST(CloneMeta, UnsetAttributesAreNotChecked) {
    EXPECT_EQ(agent::clone_meta_problem(ocf::MetaEnv{}), std::nullopt);
    ocf::MetaEnv m = ocf::parse_meta({{"OCF_RESKEY_CRM_meta_master_max", "2"}});
    EXPECT_NE(agent::clone_meta_problem(m), std::nullopt);
}

TEST(VersionOutput, MajorAsPgVersionSpellsIt) {
    EXPECT_EQ(agent::major_of_version_output("pg_controldata (PostgreSQL) 15.5 (Debian 15.5-0+deb12u1)\n"), "15");
    EXPECT_EQ(agent::major_of_version_output("pg_controldata (PostgreSQL) 17beta1\n"), "17");
    EXPECT_EQ(agent::major_of_version_output("pg_controldata (PostgreSQL) 9.6.24\n"), "9.6");
    EXPECT_EQ(agent::major_of_version_output("something else"), "");
}

TEST_F(AdminValidate, DataOfAnotherMajorVersionIsNotInstalled) {
    std::ofstream(m_dir / "data" / "PG_VERSION") << "99\n";
    local.answering = false;
    runner.expect_match([](const sys::Command& c) { return c.argv.back() == "--version"; }, 0,
                        "pg_controldata (PostgreSQL) 15.5\n");
    auto c = ctx();
    auto o = agent::action_validate(c);
    EXPECT_EQ(o.status, Status::ErrInstalled);
    EXPECT_NE(o.reason.find("PostgreSQL 99"), std::string::npos) << o.reason;
    EXPECT_NE(o.reason.find("PostgreSQL 15"), std::string::npos) << o.reason;
}

TEST_F(AdminValidate, DataOfTheSameMajorVersionPasses) {
    local.answering = false;
    runner.expect_match([](const sys::Command& c) { return c.argv.back() == "--version"; }, 0,
                        "pg_controldata (PostgreSQL) 15.5\n");
    auto c = ctx();
    EXPECT_EQ(agent::action_validate(c).status, Status::Success);
}

// --- reload-agent ---

TEST(ReloadAgent, IsAnActionAndInTheMetaData) {
    EXPECT_TRUE(agent::is_agent_action("reload-agent"));
    EXPECT_NE(ocf::metadata_xml().find("<action name=\"reload-agent\""), std::string::npos);
}

TEST(ReloadAgent, ReloadableParametersAreThoseAppliedWithoutARestart) {
    std::vector<std::string> reloadable;
    for (const auto& spec : ocf::parameter_table()) {
        if (spec.reloadable) reloadable.emplace_back(spec.name);
    }
    // clang-format off
    const std::vector<std::string> expected{
        "max_slot_wal_keep_size", "rep_mode",        "replication_failure_threshold", "max_promotion_lag_bytes",
        "force_promotion",        "backup_before_basebackup", "backup_dir",           "basebackup_timeout", "clone_max_rate",
        "auto_rewind",            "auto_basebackup", "snapshot_keep", "snapshot_min_free", "container_pull",                "monitor_timeout_promoted",
        "monitor_timeout_unpromoted"};
    // clang-format on
    EXPECT_EQ(reloadable, expected);
    const std::string xml = ocf::metadata_xml();
    EXPECT_NE(xml.find("<parameter name=\"rep_mode\" unique=\"0\" required=\"0\" reloadable=\"1\">"),
              std::string::npos);
    EXPECT_NE(xml.find("<parameter name=\"pgdata\" unique=\"0\" required=\"0\">"), std::string::npos);
}

class ReloadAgentAction : public AgentFixture {};

TEST_F(ReloadAgentAction, OnThePrimaryAppliesRepModeWithoutRestarting) {
    local.settings["synchronous_standby_names"] = "\"psql2\"";
    local.replication.push_back(FakePg::standby_row("psql2", "streaming", "sync"));
    cfg.rep_mode = ocf::RepMode::Async;
    auto c = ctx();
    EXPECT_EQ(agent::dispatch("reload-agent", c).status, Status::Success);
    EXPECT_EQ(local.settings["synchronous_standby_names"], "");
    EXPECT_TRUE(runner.calls().empty()) << "reload-agent runs no program (no pg_ctl)";
}

TEST_F(ReloadAgentAction, StoppedInstanceNeedsNothing) {
    local.answering = false;
    auto c = ctx();
    EXPECT_EQ(agent::dispatch("reload-agent", c).status, Status::Success);
}

TEST_F(ReloadAgentAction, BadConfigurationIsRefused) {
    cfg.node_list = {"psql3", "psql2"};
    auto c = ctx();
    EXPECT_EQ(agent::dispatch("reload-agent", c).status, Status::ErrArgs);
}

}  // namespace
}  // namespace pgtwin::testing
