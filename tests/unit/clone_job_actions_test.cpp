// SPDX-License-Identifier: GPL-2.0-or-later
// The clone job seen by the OCF actions: monitor while it lives and after it
// died, promote's refusal, start returning while the job runs, stop killing a
// real detached job. Fakes for PostgreSQL and Pacemaker; real state files.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent_fixture.hpp"
#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/sys/detach.hpp"
#include "pgtwin/sys/process.hpp"

namespace pgtwin::testing {
namespace {

namespace fs = std::filesystem;
using agent::CloneJobState;
using ocf::Status;

class CloneJobActions : public AgentFixture {
protected:
    void SetUp() override {
        AgentFixture::SetUp();
        fs::remove(data() / "PG_VERSION");
        backend->live = backend::Liveness::Stopped;
        local.answering = false;
        local.in_recovery = true;
        peer.in_recovery = false;
    }
    void TearDown() override {
        // Back to the in-process job every other unit test relies on.
        agent::set_clone_job_launcher([](agent::Context& c) {
            (void)agent::run_clone_job(c, {});
            return ok();
        });
        AgentFixture::TearDown();
    }
    fs::path data() const { return m_dir / "data"; }
    fs::path marker() const { return m_dir / ".data.pgtwin-clone"; }
    void touch_marker() { std::ofstream(marker()) << "node=psql1\n"; }
    // A job state naming `pid`; `same_start` false: the pid was reused.
    void record_job(long pid, bool same_start, const char* phase = agent::kJobCloning) {
        CloneJobState s;
        s.pid = pid;
        s.start_time = sys::process_start_time(static_cast<pid_t>(pid)).value_or(0) + (same_start ? 0 : 1);
        s.phase = phase;
        auto c = ctx();
        agent::save_clone_state(c, s);
    }
};

TEST_F(CloneJobActions, MonitorOfALiveJobIsRunningUnpromotedAndNotPromotable) {
    touch_marker();
    record_job(::getpid(), true);
    auto c = ctx();
    auto o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_EQ(cluster.scores["psql1"], -1000);
    meta.interval = Millis{0};
    auto probe = ctx();
    EXPECT_EQ(agent::action_monitor(probe).status, Status::Success) << "a probe must not start a second job";
}

TEST_F(CloneJobActions, MonitorFailsWhenTheJobDiedAndAProbeSaysNotRunning) {
    touch_marker();
    record_job(::getpid(), false);  // a reused pid: not our job
    auto c = ctx();
    auto o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("died"), std::string::npos) << o.reason;
    meta.interval = Millis{0};
    auto probe = ctx();
    EXPECT_EQ(agent::action_monitor(probe).status, Status::NotRunning);
}

TEST_F(CloneJobActions, MonitorFailsWithTheErrorOfAFailedJob) {
    CloneJobState s;
    s.pid = 99999999;
    s.phase = agent::kJobFailed;
    s.error = "pg_basebackup: error: could not connect";
    auto c = ctx();
    agent::save_clone_state(c, s);
    auto o = agent::action_monitor(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("could not connect"), std::string::npos) << o.reason;
}

TEST_F(CloneJobActions, PromoteRefusesWhileTheCloneMarkerExists) {
    touch_marker();
    local.answering = true;
    backend->live = backend::Liveness::Running;
    auto c = ctx();
    auto o = agent::action_promote(c);
    EXPECT_EQ(o.status, Status::ErrGeneric);
    EXPECT_NE(o.reason.find("clone"), std::string::npos) << o.reason;
    for (const auto& call : runner.calls()) EXPECT_NE(call.argv.front(), "pg_ctl");
}

TEST_F(CloneJobActions, StartReturnsWhileTheJobStillRuns) {
    cfg.auto_basebackup = true;
    int launches = 0;
    agent::set_clone_job_launcher([&](agent::Context& c) {
        ++launches;
        CloneJobState s;
        s.pid = ::getpid();
        s.start_time = *sys::process_start_time(::getpid());
        agent::save_clone_state(c, s);  // "cloning" and alive: it never finishes here
        return ok();
    });
    auto c = ctx();
    auto o = agent::action_start(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_EQ(launches, 1);
    EXPECT_TRUE(fs::exists(marker()));
    auto state = agent::load_clone_state(c);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->phase, agent::kJobCloning) << "start must leave the running job alone";
    auto again = ctx();
    EXPECT_EQ(agent::action_start(again).status, Status::Success);
    EXPECT_EQ(launches, 1) << "a second start follows the live job";
}

TEST_F(CloneJobActions, StopKillsTheJobsProcessGroupAndKeepsTheMarker) {
    touch_marker();
    sys::DetachedCommand cmd;
    cmd.argv = {"/bin/sh", "-c", "printf r >&3; exec 3>&-; sleep 60 & wait"};
    cmd.env = {"PATH=/usr/bin:/bin"};
    cmd.log_path = (m_dir / "job.log").string();
    auto pid = sys::start_detached(cmd, Millis{10000});
    ASSERT_TRUE(pid.ok()) << pid.error().message;
    record_job(*pid, true);
    // A real clock: stop waits for a real process to end.
    SystemClock real;
    agent::Context c{cfg,
                     meta,
                     notify,
                     "psql1",
                     "psql2",
                     "pgsql",
                     (m_dir / "state").string(),
                     runner,
                     real,
                     *backend,
                     connector,
                     cluster,
                     Deadline(real, Millis{20000})};
    auto o = agent::action_stop(c);
    EXPECT_EQ(o.status, Status::Success) << o.reason;
    EXPECT_FALSE(sys::process_alive(*pid));
    int status = 0;
    ::waitpid(*pid, &status, 0);  // the test process is the job's parent here
    bool group_gone = false;
    for (int i = 0; i < 100 && !group_gone; ++i) {
        group_gone = !sys::signal_group(*pid, 0);
        if (!group_gone) ::usleep(20000);
    }
    EXPECT_TRUE(group_gone) << "a process of the job's group survived stop";
    EXPECT_TRUE(fs::exists(marker()));
    auto state = agent::load_clone_state(c);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->phase, agent::kJobStopped);
}

}  // namespace
}  // namespace pgtwin::testing
