// SPDX-License-Identifier: GPL-2.0-or-later
// Parsing real pg_controldata output captured from PostgreSQL 15 (LC_ALL=C).

#include "pgtwin/pg/controldata.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pgtwin::pg {
namespace {

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

ControlData parse_file(const std::string& name) {
    auto r = parse_controldata(read_data(name));
    EXPECT_TRUE(r.ok()) << name;
    return r.ok() ? *r : ControlData{};
}

TEST(ControlDataParse, PrimaryRunning) {
    auto cd = parse_file("controldata-primary-running.txt");
    EXPECT_EQ(cd.state, ClusterState::InProduction);
    EXPECT_EQ(cd.system_identifier, "7712570476806353729");
    EXPECT_EQ(cd.checkpoint_timeline, 1U);
    EXPECT_EQ(cd.pg_control_version, 1300);
    EXPECT_EQ(cd.min_recovery_lsn, Lsn{0});
    EXPECT_GT(cd.checkpoint_lsn, Lsn{0});
    EXPECT_LE(cd.redo_lsn, cd.checkpoint_lsn);
}

TEST(ControlDataParse, PrimaryStopped) {
    auto cd = parse_file("controldata-primary-stopped.txt");
    EXPECT_EQ(cd.state, ClusterState::ShutDown);
    EXPECT_EQ(cd.system_identifier, "7712570476806353729");
    // A clean shutdown writes a shutdown checkpoint: REDO equals the checkpoint.
    EXPECT_EQ(cd.redo_lsn, cd.checkpoint_lsn);
}

TEST(ControlDataParse, PrimaryCrashedStillSaysInProduction) {
    auto cd = parse_file("controldata-primary-crashed.txt");
    EXPECT_EQ(cd.state, ClusterState::InProduction);
    auto stopped = parse_file("controldata-primary-stopped.txt");
    EXPECT_GE(cd.checkpoint_lsn, stopped.checkpoint_lsn);
}

TEST(ControlDataParse, StandbyRunning) {
    auto cd = parse_file("controldata-standby-running.txt");
    EXPECT_EQ(cd.state, ClusterState::InArchiveRecovery);
    EXPECT_EQ(cd.system_identifier, "7712570476806353729");
    EXPECT_EQ(cd.checkpoint_lsn, *Lsn::parse("0/30108D8"));
    EXPECT_EQ(cd.redo_lsn, *Lsn::parse("0/30108A0"));
    EXPECT_EQ(cd.min_recovery_lsn, *Lsn::parse("0/3010978"));
    EXPECT_EQ(cd.min_recovery_timeline, 1U);
}

TEST(ControlDataParse, StandbyStopped) {
    auto cd = parse_file("controldata-standby-stopped.txt");
    EXPECT_EQ(cd.state, ClusterState::ShutDownInRecovery);
    EXPECT_EQ(cd.checkpoint_timeline, 1U);
    EXPECT_GT(cd.min_recovery_lsn, Lsn{0});
}

TEST(ControlDataParse, MapsEveryClusterState) {
    EXPECT_EQ(parse_cluster_state("starting up"), ClusterState::Starting);
    EXPECT_EQ(parse_cluster_state("shut down"), ClusterState::ShutDown);
    EXPECT_EQ(parse_cluster_state("shut down in recovery"), ClusterState::ShutDownInRecovery);
    EXPECT_EQ(parse_cluster_state("shutting down"), ClusterState::ShuttingDown);
    EXPECT_EQ(parse_cluster_state("in crash recovery"), ClusterState::InCrashRecovery);
    EXPECT_EQ(parse_cluster_state("in archive recovery"), ClusterState::InArchiveRecovery);
    EXPECT_EQ(parse_cluster_state("  in production \n"), ClusterState::InProduction);
    EXPECT_EQ(parse_cluster_state("in produktion"), ClusterState::Unknown);
    EXPECT_EQ(parse_cluster_state(""), ClusterState::Unknown);
}

TEST(ControlDataParse, MissingStateIsAnError) {
    EXPECT_FALSE(parse_controldata("").ok());
    EXPECT_FALSE(parse_controldata("pg_control version number:            1300\n").ok());
    // Translated output (no LC_ALL=C) is not understood rather than misread.
    EXPECT_FALSE(parse_controldata("Zustand des Datenbanksystems:     in Produktion\n").ok());
}

TEST(ControlDataParse, UnknownStateTextParsesAsUnknown) {
    auto r = parse_controldata("Database cluster state:               something new\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->state, ClusterState::Unknown);
}

}  // namespace
}  // namespace pgtwin::pg
