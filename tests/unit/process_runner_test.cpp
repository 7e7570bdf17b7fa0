// SPDX-License-Identifier: GPL-2.0-or-later
// ProcessRunner with real processes: output, exit codes, timeouts, users.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"
#include "pgtwin/sys/process_runner.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::sys {
namespace {

using pgtwin::testing::eventually;
using pgtwin::testing::TempDir;

Command command(std::vector<std::string> argv, Millis timeout = Millis{30000}) {
    Command c;
    c.argv = std::move(argv);
    c.timeout = timeout;
    return c;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

CommandResult run_ok(const Command& c) {
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(c);
    if (!r) ADD_FAILURE() << "could not run " << describe(c.argv) << ": " << r.error().message;
    return r ? *r : CommandResult{};
}

TEST(ProcessRunner, KeepsStdoutAndStderrApartAndReportsExitCode) {
    CommandResult r = run_ok(command({"sh", "-c", "echo out; echo err >&2; exit 3"}));
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.term_signal, 0);
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(r.success());
}

TEST(ProcessRunner, ZeroExitIsSuccess) {
    CommandResult r = run_ok(command({"true"}));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(r.success());
}

TEST(ProcessRunner, ReportsTheTerminatingSignal) {
    CommandResult r = run_ok(command({"sh", "-c", "kill -TERM $$"}));
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_EQ(r.term_signal, SIGTERM);
    EXPECT_FALSE(r.timed_out);
}

TEST(ProcessRunner, FeedsStdinData) {
    Command c = command({"cat"});
    c.stdin_data = "hello\nworld";
    EXPECT_EQ(run_ok(c).out, "hello\nworld");
}

TEST(ProcessRunner, FeedsLargeStdinWhileReadingOutput) {
    Command c = command({"cat"});
    c.stdin_data = std::string(3 * 1024 * 1024, 'x');
    CommandResult r = run_ok(c);
    EXPECT_EQ(r.out.size(), c.stdin_data->size());
    EXPECT_EQ(r.exit_code, 0);
}

TEST(ProcessRunner, ChildThatIgnoresStdinDoesNotKillTheAgent) {
    Command c = command({"true"});
    c.stdin_data = std::string(4 * 1024 * 1024, 'x');
    EXPECT_EQ(run_ok(c).exit_code, 0);
}

TEST(ProcessRunner, StdinIsEmptyWithoutData) {
    CommandResult r = run_ok(command({"cat"}));
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.exit_code, 0);
}

TEST(ProcessRunner, UnknownCommandIsNotInstalled) {
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(command({"pgtwin-no-such-command-4711"}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NotInstalled);
    EXPECT_NE(r.error().message.find("command not found"), std::string::npos);

    Result<CommandResult> abs = runner.run(command({"/nonexistent/dir/pg_ctl"}));
    ASSERT_FALSE(abs.ok());
    EXPECT_EQ(abs.error().kind, ErrorKind::NotInstalled);
}

TEST(ProcessRunner, NonExecutableFileIsNotInstalled) {
    TempDir dir;
    ASSERT_TRUE(write_file_atomic(dir / "tool", "#!/bin/sh\necho hi\n", 0644).ok());
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(command({dir / "tool"}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NotInstalled);
}

TEST(ProcessRunner, EmptyArgvIsRejected) {
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(command({}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgs);
}

TEST(ProcessRunner, LooksUpTheProgramInTheChildsPath) {
    TempDir dir;
    ASSERT_TRUE(write_file_atomic(dir / "pgtwin-test-tool", "#!/bin/sh\necho found\n", 0755).ok());
    Command c = command({"pgtwin-test-tool"});
    c.env["PATH"] = dir.path() + ":/usr/bin:/bin";
    EXPECT_EQ(run_ok(c).out, "found\n");

    ProcessRunner runner;
    Result<CommandResult> without = runner.run(command({"pgtwin-test-tool"}));
    ASSERT_FALSE(without.ok());
    EXPECT_EQ(without.error().kind, ErrorKind::NotInstalled);
}

TEST(ProcessRunner, ChildGetsOnlyTheMinimalEnvironment) {
    ASSERT_EQ(::setenv("PGTWIN_TEST_MARKER", "must-not-leak", 1), 0);
    Command c = command({"env"});
    c.env["PGPASSFILE"] = "/tmp/pgpass";
    CommandResult r = run_ok(c);
    ::unsetenv("PGTWIN_TEST_MARKER");
    std::set<std::string> keys;
    for (const auto& line : lines_of(r.out)) keys.insert(line.substr(0, line.find('=')));
    EXPECT_EQ(keys, (std::set<std::string>{"LC_ALL", "PATH", "PGPASSFILE"}));
    EXPECT_EQ(r.out.find("PGTWIN_TEST_MARKER"), std::string::npos);
    EXPECT_NE(r.out.find("LC_ALL=C\n"), std::string::npos);
    EXPECT_NE(r.out.find("PGPASSFILE=/tmp/pgpass\n"), std::string::npos);
}

TEST(ProcessRunner, CommandEnvOverridesTheDefaults) {
    Command c = command({"env"});
    c.env["LC_ALL"] = "C.UTF-8";
    EXPECT_NE(run_ok(c).out.find("LC_ALL=C.UTF-8\n"), std::string::npos);
}

TEST(ProcessRunner, RunsInTheGivenDirectory) {
    TempDir dir;
    Command c = command({"pwd", "-P"});
    c.cwd = dir.path();
    std::string expected = std::filesystem::canonical(dir.path()).string() + "\n";
    EXPECT_EQ(run_ok(c).out, expected);

    c.cwd = dir / "missing";
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
}

TEST(ProcessRunner, ChildLeadsItsOwnProcessGroup) {
    // /proc/self/stat of cat: "pid (comm) state ppid pgrp ..."
    CommandResult r = run_ok(command({"cat", "/proc/self/stat"}));
    std::istringstream in(r.out.substr(r.out.rfind(')') + 2));
    std::string state;
    long ppid = 0;
    long pgrp = 0;
    in >> state >> ppid >> pgrp;
    long pid = std::stol(r.out);
    EXPECT_EQ(pgrp, pid);
    EXPECT_EQ(ppid, static_cast<long>(::getpid()));
}

TEST(ProcessRunner, ClosesInheritedDescriptors) {
    int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::dup2(fd, 57), 57);
    CommandResult r = run_ok(command({"ls", "/proc/self/fd"}));
    ::close(57);
    ::close(fd);
    std::vector<std::string> fds = lines_of(r.out);
    EXPECT_EQ(std::count(fds.begin(), fds.end(), "57"), 0) << r.out;
    EXPECT_EQ(std::count(fds.begin(), fds.end(), std::to_string(fd)), fd <= 3 ? 1 : 0) << r.out;
}

TEST(ProcessRunner, ResetsSignalDispositionsAndMask) {
    struct sigaction ignore {};
    struct sigaction old {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old), 0);
    sigset_t block;
    sigset_t old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    CommandResult r = run_ok(command({"grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status"}));
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGUSR1, &old, nullptr);
    EXPECT_NE(r.out.find("SigBlk:\t0000000000000000"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("SigIgn:\t0000000000000000"), std::string::npos) << r.out;
}

TEST(ProcessRunner, TimeoutKillsTheWholeProcessGroup) {
    CommandResult r = run_ok(command({"sh", "-c", "sleep 60 & echo $! ; sleep 60"}, Millis{1500}));
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.success());
    EXPECT_EQ(r.term_signal, SIGKILL);
    ASSERT_FALSE(r.out.empty()) << "the shell did not report its background pid";
    auto background = static_cast<pid_t>(std::stol(r.out));
    EXPECT_TRUE(eventually([background] { return !process_alive(background); }));
}

TEST(ProcessRunner, DaemonizedGrandchildHoldingThePipesDoesNotBlock) {
    // Like pg_ctl start: the direct child exits, its background child keeps stdout/stderr.
    CommandResult r = run_ok(command({"sh", "-c", "sleep 120 & echo $!"}, Millis{60000}));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_FALSE(r.out.empty());
    auto daemon = static_cast<pid_t>(std::stol(r.out));
    EXPECT_TRUE(process_alive(daemon)) << "a normal exit must not kill the group";
    ::kill(daemon, SIGKILL);
}

TEST(ProcessRunner, DropsPrivilegesToRunAsUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    Result<UserInfo> nobody = lookup_user("nobody");
    ASSERT_TRUE(nobody.ok());
    Command c = command({"sh", "-c", "id -u; id -g; echo \"$HOME\"; echo \"$USER\"; echo \"$LOGNAME\""});
    c.run_as_user = "nobody";
    CommandResult r = run_ok(c);
    std::vector<std::string> lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5U) << r.out << r.err;
    EXPECT_EQ(lines[0], "65534");
    EXPECT_EQ(lines[1], std::to_string(nobody->gid));
    EXPECT_EQ(lines[2], nobody->home);
    EXPECT_EQ(lines[3], "nobody");
    EXPECT_EQ(lines[4], "nobody");
}

TEST(ProcessRunner, UnknownRunAsUserIsRejectedBeforeForking) {
    Command c = command({"true"});
    c.run_as_user = "pgtwin-no-such-user";
    ProcessRunner runner;
    Result<CommandResult> r = runner.run(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgs);
    EXPECT_EQ(r.error().message, "user pgtwin-no-such-user does not exist");
}

}  // namespace
}  // namespace pgtwin::sys
