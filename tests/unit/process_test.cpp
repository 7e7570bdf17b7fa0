// SPDX-License-Identifier: GPL-2.0-or-later
// Process liveness and postmaster.pid parsing.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::sys {
namespace {

using pgtwin::testing::eventually;
using pgtwin::testing::TempDir;

char state_of(pid_t pid) {
    Result<std::string> stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return '?';
    return (*stat)[stat->rfind(')') + 2];
}

pid_t unused_pid() {
    // PIDs are always below pid_max, so pid_max itself never exists.
    Result<std::string> max = read_file("/proc/sys/kernel/pid_max");
    return max ? static_cast<pid_t>(std::stol(*max)) : 4194304;
}

void write_pid_file(const std::string& dir, const std::string& content) {
    ASSERT_TRUE(write_file_atomic(dir + "/postmaster.pid", content, 0600).ok());
}

// Starts a process whose comm is "postgres" (a copy of sleep) with cwd = `cwd`.
pid_t start_fake_postgres(const std::string& bin_dir, const std::string& cwd) {
    std::filesystem::copy_file("/bin/sleep", bin_dir + "/postgres");
    std::filesystem::permissions(bin_dir + "/postgres", std::filesystem::perms::owner_all);
    std::string program = bin_dir + "/postgres";
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::chdir(cwd.c_str()) != 0) ::_exit(1);
        ::execl(program.c_str(), "postgres", "60", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

TEST(Process, OwnProcessIsAlive) {
    EXPECT_TRUE(process_alive(::getpid()));
    EXPECT_FALSE(process_alive(unused_pid()));
    EXPECT_FALSE(process_alive(0));
    EXPECT_FALSE(process_alive(-1));
}

TEST(Process, ZombieCountsAsDead) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(0);
    ASSERT_TRUE(eventually([child] { return state_of(child) == 'Z'; }));
    EXPECT_EQ(::kill(child, 0), 0) << "kill(0) still calls a zombie alive";
    EXPECT_FALSE(process_alive(child));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_FALSE(process_alive(child));
}

TEST(Process, CommAndCwdOfOwnProcess) {
    std::optional<std::string> comm = process_comm(::getpid());
    ASSERT_TRUE(comm.has_value());
    EXPECT_EQ(*comm, std::string(program_invocation_short_name).substr(0, 15));
    std::optional<std::string> cwd = process_cwd(::getpid());
    ASSERT_TRUE(cwd.has_value());
    EXPECT_EQ(*cwd, std::filesystem::current_path().string());
    EXPECT_FALSE(process_comm(unused_pid()).has_value());
    EXPECT_FALSE(process_cwd(unused_pid()).has_value());
}

TEST(PostmasterPid, MissingFileIsNoPidFile) {
    TempDir dir;
    Result<std::optional<PostmasterPid>> pm = read_postmaster_pid(dir.path());
    ASSERT_TRUE(pm.ok());
    EXPECT_FALSE(pm->has_value());
    EXPECT_FALSE(postmaster_running(dir.path()));
}

TEST(PostmasterPid, ParsesAllFields) {
    TempDir dir;
    write_pid_file(dir.path(),
                   "4242\n/var/lib/postgresql/15/main\n1718000000\n5432\n/var/run/postgresql\n*\n"
                   "  5432001    131072\nstandby  \n");
    Result<std::optional<PostmasterPid>> pm = read_postmaster_pid(dir.path());
    ASSERT_TRUE(pm.ok()) << pm.error().message;
    ASSERT_TRUE(pm->has_value());
    const PostmasterPid& p = **pm;
    EXPECT_EQ(p.pid, 4242);
    EXPECT_EQ(p.data_dir, "/var/lib/postgresql/15/main");
    EXPECT_EQ(p.start_time, 1718000000);
    EXPECT_EQ(p.port, 5432);
    EXPECT_EQ(p.socket_dir, "/var/run/postgresql");
    EXPECT_EQ(p.listen_addr, "*");
    EXPECT_EQ(p.status, "standby");
}

TEST(PostmasterPid, PartialFileWhileStarting) {
    TempDir dir;
    write_pid_file(dir.path(), "4242\n/data\n");
    Result<std::optional<PostmasterPid>> pm = read_postmaster_pid(dir.path());
    ASSERT_TRUE(pm.ok());
    ASSERT_TRUE(pm->has_value());
    EXPECT_EQ((*pm)->pid, 4242);
    EXPECT_EQ((*pm)->port, 0);
    EXPECT_EQ((*pm)->status, "");
}

TEST(PostmasterPid, MalformedFileIsAnError) {
    TempDir dir;
    write_pid_file(dir.path(), "not-a-pid\n/data\n");
    EXPECT_FALSE(read_postmaster_pid(dir.path()).ok());
    EXPECT_FALSE(postmaster_running(dir.path()));
    write_pid_file(dir.path(), "");
    EXPECT_FALSE(read_postmaster_pid(dir.path()).ok());
}

TEST(PostmasterRunning, StalePidFileWithReusedPidIsNotRunning) {
    TempDir dir;
    // Our own pid: alive, but neither a postgres nor running in that directory.
    write_pid_file(dir.path(), std::to_string(::getpid()) + "\n" + dir.path() + "\n");
    EXPECT_FALSE(postmaster_running(dir.path()));
    write_pid_file(dir.path(), std::to_string(unused_pid()) + "\n" + dir.path() + "\n");
    EXPECT_FALSE(postmaster_running(dir.path()));
}

TEST(PostmasterRunning, PostgresInItsDataDirectoryIsRunningUntilItDies) {
    TempDir bin;
    TempDir data;
    TempDir elsewhere;
    pid_t pid = start_fake_postgres(bin.path(), data.path());
    ASSERT_GT(pid, 0);
    // Kills and reaps the fake postmaster even when an assertion stops the test early.
    std::unique_ptr<pid_t, void (*)(pid_t*)> reaper(&pid, [](pid_t* p) {
        int status = 0;
        ::kill(*p, SIGKILL);
        ::waitpid(*p, &status, 0);
    });
    ASSERT_TRUE(eventually([pid] { return process_comm(pid) == std::optional<std::string>("postgres"); }));
    write_pid_file(data.path(), std::to_string(pid) + "\n" + data.path() + "\n");
    EXPECT_TRUE(postmaster_running(data.path()));
    // The same pid named by another data directory's file: not that postmaster.
    write_pid_file(elsewhere.path(), std::to_string(pid) + "\n" + elsewhere.path() + "\n");
    EXPECT_FALSE(postmaster_running(elsewhere.path()));

    ::kill(pid, SIGKILL);
    ASSERT_TRUE(eventually([pid] { return state_of(pid) == 'Z'; }));
    EXPECT_FALSE(postmaster_running(data.path())) << "a zombie postmaster is not running";
    reaper.reset();
    EXPECT_FALSE(postmaster_running(data.path()));
}

}  // namespace
}  // namespace pgtwin::sys
