// SPDX-License-Identifier: GPL-2.0-or-later
// Tools must not outlive the agent: Pacemaker's operation timeout kills the
// agent process, and an orphaned pg_basebackup or pg_rewind would keep
// writing pgdata while the next action works on it (review S3).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"
#include "pgtwin/sys/process_runner.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::sys {
namespace {

using pgtwin::testing::eventually;
using pgtwin::testing::TempDir;

// Forks an "agent" that runs `script` through the runner and never returns.
pid_t start_agent(const std::string& script) {
    pid_t agent = ::fork();
    if (agent == 0) {
        Command c;
        c.argv = {"sh", "-c", script};
        c.timeout = Millis{120000};
        ProcessRunner runner;
        (void)runner.run(c);
        ::_exit(0);
    }
    return agent;
}

// Waits until `path` holds a pid written by the tool; 0 if it never does.
pid_t wait_for_pid(const std::string& path) {
    pid_t pid = 0;
    eventually([&] {
        Result<std::string> text = read_file(path);
        if (!text || text->empty() || text->back() != '\n') return false;
        pid = static_cast<pid_t>(std::stol(*text));
        return true;
    });
    return pid;
}

TEST(ProcessDeath, ToolDiesWhenTheAgentIsKilled) {
    TempDir dir;
    std::string pidfile = dir / "tool.pid";
    pid_t agent = start_agent("echo $$ > " + pidfile + "; exec sleep 120");
    ASSERT_GT(agent, 0);
    pid_t tool = wait_for_pid(pidfile);
    ASSERT_GT(tool, 0) << "the tool did not start";
    ASSERT_TRUE(process_alive(tool));
    ASSERT_EQ(::kill(agent, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(agent, &status, 0), agent);
    bool gone = eventually([tool] { return !process_alive(tool); });
    if (!gone) ::kill(tool, SIGKILL);
    EXPECT_TRUE(gone) << "tool " << tool << " outlived the SIGKILLed agent";
}

TEST(ProcessDeath, HelperOfTheToolDiesWhenTheAgentIsKilled) {
    TempDir dir;
    std::string pidfile = dir / "helper.pid";
    // Like pg_basebackup -X stream: its WAL streamer is a grandchild of the agent.
    pid_t agent = start_agent("sleep 120 & echo $! > " + pidfile + "; wait");
    ASSERT_GT(agent, 0);
    pid_t helper = wait_for_pid(pidfile);
    ASSERT_GT(helper, 0) << "the helper did not start";
    ASSERT_EQ(::kill(agent, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(agent, &status, 0), agent);
    bool gone = eventually([helper] { return !process_alive(helper); });
    if (!gone) ::kill(helper, SIGKILL);
    EXPECT_TRUE(gone) << "helper " << helper << " outlived the SIGKILLed agent";
}

TEST(ProcessDeath, SigtermOfTheAgentTakesTheWholeToolGroup) {
    TempDir dir;
    std::string pidfile = dir / "helper.pid";
    // Like pg_basebackup -X stream: the tool has a helper process of its own.
    pid_t agent = start_agent("sleep 120 & echo $! > " + pidfile + "; wait");
    ASSERT_GT(agent, 0);
    pid_t helper = wait_for_pid(pidfile);
    ASSERT_GT(helper, 0) << "the helper did not start";
    ASSERT_EQ(::kill(agent, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(agent, &status, 0), agent);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "the agent must still die of SIGTERM";
    bool gone = eventually([helper] { return !process_alive(helper); });
    if (!gone) ::kill(helper, SIGKILL);
    EXPECT_TRUE(gone) << "helper " << helper << " outlived the SIGTERMed agent";
}

}  // namespace
}  // namespace pgtwin::sys
