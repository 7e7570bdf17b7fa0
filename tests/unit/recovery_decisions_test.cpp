// SPDX-License-Identifier: GPL-2.0-or-later
// Decision rows for recovery (issue 8): a fresh clone that never ran is not a
// crashed primary (review M9); a directory left by an interrupted clone or
// rewind is "not running", so start repairs it (review H5).

#include <gtest/gtest.h>

#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::testing {
namespace {

using ocf::Status;

TEST(RecoveryDecisions, FreshCloneInProductionIsAStandbyNotACrashedPrimary) {
    agent::MonitorFacts f;
    f.liveness = backend::Liveness::Stopped;
    f.control_state = pg::ClusterState::InProduction;
    f.backup_label = true;
    EXPECT_EQ(agent::classify_instance(f).status, Status::NotRunning);
    f.backup_label = false;
    EXPECT_EQ(agent::classify_instance(f).status, Status::FailedPromoted);
}

TEST(RecoveryDecisions, UntrustedStoppedDirectoryIsNotRunning) {
    agent::MonitorFacts f;
    f.liveness = backend::Liveness::Stopped;
    f.untrusted = true;
    EXPECT_EQ(agent::classify_instance(f).status, Status::NotRunning);
    f.in_recovery = true;  // answering SQL wins
    EXPECT_EQ(agent::classify_instance(f).status, Status::Success);
}

TEST(RecoveryDecisions, FreshCloneRejoinsAsStandbyUnlessTheTimelineMovedOn) {
    pg::ControlData cd;
    cd.state = pg::ClusterState::InProduction;
    cd.checkpoint_timeline = 1;
    pg::InstanceStatus primary;
    primary.position.timeline = 1;
    EXPECT_EQ(agent::decide_rejoin(cd, primary, agent::BackupLabel::Present), agent::RejoinAction::StartAsStandby);
    EXPECT_EQ(agent::decide_rejoin(cd, primary, agent::BackupLabel::Absent), agent::RejoinAction::Rewind);
    primary.position.timeline = 2;
    EXPECT_EQ(agent::decide_rejoin(cd, primary, agent::BackupLabel::Present), agent::RejoinAction::Rewind);
}

}  // namespace
}  // namespace pgtwin::testing
