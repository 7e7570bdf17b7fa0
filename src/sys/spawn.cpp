// SPDX-License-Identifier: GPL-2.0-or-later
// What ProcessRunner prepares before fork (argv, environment, user) and what the child runs after it.

#include "spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "pgtwin/sys/files.hpp"

namespace pgtwin::sys::detail {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// PATH, LC_ALL=C and nothing else from the agent's own environment.
std::map<std::string, std::string> base_environment() {
    const char* path = std::getenv("PATH");
    return {{"PATH", (path != nullptr && *path != '\0') ? path : kDefaultPath}, {"LC_ALL", "C"}};
}

// Paths execve should try for `program`, following execvp's PATH rules
// but with the CHILD's PATH (an empty PATH element means ".").
std::vector<std::string> path_candidates(const std::string& program, const std::string& path) {
    if (program.find('/') != std::string::npos) return {program};
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t colon = path.find(':', start);
        std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        out.push_back((dir.empty() ? std::string(".") : dir) + "/" + program);
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return out;
}

// Resolves the user in the parent (NSS is not fork-safe) with its groups.
Result<void> resolve_user(SpawnPlan& plan, const std::string& name, std::map<std::string, std::string>& env) {
    Result<UserInfo> user = lookup_user(name);
    if (!user) return user.error();
    plan.user = user->name;
    plan.uid = user->uid;
    plan.gid = user->gid;
    int count = 32;
    while (true) {
        plan.groups.resize(static_cast<size_t>(count));
        int want = count;
        if (::getgrouplist(user->name.c_str(), user->gid, plan.groups.data(), &want) >= 0) {
            plan.groups.resize(static_cast<size_t>(want));
            break;
        }
        if (want <= count) return fail(ErrorKind::Generic, fmt::format("cannot list groups of user {}", name));
        count = want;
    }
    // Nothing to drop when the agent already is that user (e.g. unprivileged tests).
    plan.drop_privileges = !(::geteuid() == plan.uid && ::getegid() == plan.gid);
    env["HOME"] = user->home;
    env["USER"] = user->name;
    env["LOGNAME"] = user->name;
    return ok();
}

[[noreturn]] void report_and_exit(int fd, ChildStage stage, int err) noexcept {
    ChildReport report{static_cast<int>(stage), err};
    ssize_t n = 0;
    do {
        n = ::write(fd, &report, sizeof report);
    } while (n < 0 && errno == EINTR);
    ::_exit(127);
}

// The parent blocked every signal around fork(); give the program a clean slate.
void reset_signals() noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)::sigaction(sig, &dfl, nullptr);  // glibc-reserved signals fail with EINVAL: fine
    }
    sigset_t none;
    sigemptyset(&none);
    (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// stdin/stdout/stderr from the pipes, the report pipe at fd 3, all else closed.
int setup_descriptors(const SpawnPlan& plan, const ChildFds& fds) noexcept {
    int report = fds.report_write;
    if (::dup2(fds.stdin_read, 0) < 0 || ::dup2(fds.stdout_write, 1) < 0 || ::dup2(fds.stderr_write, 2) < 0) {
        report_and_exit(report, ChildStage::Dup, errno);
    }
    if (report != 3) {
        if (::dup3(report, 3, O_CLOEXEC) < 0) report_and_exit(report, ChildStage::Dup, errno);
        report = 3;
    }
    if (::close_range(4, UINT_MAX, 0) != 0) {
        for (int fd = 4; fd < plan.max_fd; ++fd) (void)::close(fd);
    }
    return report;
}

void drop_privileges(const SpawnPlan& plan, int report) noexcept {
    // Order matters: groups must change while we still are root.
    if (::setgid(plan.gid) != 0) report_and_exit(report, ChildStage::Setgid, errno);
    if (::setgroups(plan.groups.size(), plan.groups.data()) != 0) report_and_exit(report, ChildStage::Setgroups, errno);
    if (::setuid(plan.uid) != 0) report_and_exit(report, ChildStage::Setuid, errno);
}

// Pacemaker's operation timeout kills the agent, not its process groups: a
// tool must not outlive it and keep writing pgdata while the next action runs.
// PR_SET_PDEATHSIG is cleared when the effective uid/gid changes, so this runs
// after the privilege drop; a parent that died before it took effect shows
// up as a changed getppid().
void die_with_parent(const SpawnPlan& plan, int report) noexcept {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) report_and_exit(report, ChildStage::ParentDeath, errno);
    if (::getppid() != plan.parent) ::_exit(127);
}

const char* stage_name(int stage) {
    switch (static_cast<ChildStage>(stage)) {
        case ChildStage::Signals: return "signal setup";
        case ChildStage::Setpgid: return "setpgid";
        case ChildStage::Dup: return "descriptor setup";
        case ChildStage::Setgid: return "setgid";
        case ChildStage::Setgroups: return "initgroups";
        case ChildStage::Setuid: return "setuid";
        case ChildStage::Chdir: return "chdir";
        case ChildStage::Exec: return "exec";
        case ChildStage::ParentDeath: return "parent-death signal";
    }
    return "child setup";
}

}  // namespace

Result<void> make_spawn_plan(const Command& cmd, SpawnPlan& plan) {
    if (cmd.argv.empty() || cmd.argv.front().empty()) return fail(ErrorKind::InvalidArgs, "empty command line");
    plan.program = cmd.argv.front();
    plan.args = cmd.argv;
    std::map<std::string, std::string> env = base_environment();
    if (cmd.run_as_user) {
        Result<void> user = resolve_user(plan, *cmd.run_as_user, env);
        if (!user) return user;
    }
    for (const auto& [key, value] : cmd.env) env[key] = value;
    for (const auto& [key, value] : env) plan.env.push_back(fmt::format("{}={}", key, value));
    plan.candidates = path_candidates(plan.program, env["PATH"]);
    plan.cwd = cmd.cwd.value_or("");
    plan.parent = ::getpid();
    long open_max = ::sysconf(_SC_OPEN_MAX);
    plan.max_fd = (open_max > 0 && open_max < 65536) ? static_cast<int>(open_max) : 65536;
    for (auto& a : plan.args) plan.argv_ptrs.push_back(a.data());
    plan.argv_ptrs.push_back(nullptr);
    for (auto& e : plan.env) plan.env_ptrs.push_back(e.data());
    plan.env_ptrs.push_back(nullptr);
    return ok();
}

void child_main(const SpawnPlan& plan, const ChildFds& fds) noexcept {
    reset_signals();
    // Own process group, so a timeout can kill everything the command started.
    if (::setpgid(0, 0) != 0) report_and_exit(fds.report_write, ChildStage::Setpgid, errno);
    int report = setup_descriptors(plan, fds);
    if (plan.drop_privileges) drop_privileges(plan, report);
    die_with_parent(plan, report);
    // After the drop, so the directory must be usable by the target user.
    if (!plan.cwd.empty() && ::chdir(plan.cwd.c_str()) != 0) report_and_exit(report, ChildStage::Chdir, errno);
    int result = ENOENT;
    for (const auto& candidate : plan.candidates) {
        ::execve(candidate.c_str(), plan.argv_ptrs.data(), plan.env_ptrs.data());
        int err = errno;
        if (err == EACCES) result = EACCES;  // like execvp: remember, keep searching
        else if (err != ENOENT && err != ENOTDIR) report_and_exit(report, ChildStage::Exec, err);
    }
    report_and_exit(report, ChildStage::Exec, result);
}

Error report_to_error(const SpawnPlan& plan, const ChildReport& report) {
    const char* reason = std::strerror(report.err);
    auto stage = static_cast<ChildStage>(report.stage);
    if (stage == ChildStage::Exec) {
        if (report.err == ENOENT || report.err == ENOTDIR)
            return fail(ErrorKind::NotInstalled, plan.program + ": command not found");
        if (report.err == EACCES)
            return fail(ErrorKind::NotInstalled, plan.program + ": command not found (permission denied)");
        return fail(ErrorKind::Generic, fmt::format("{}: cannot execute: {}", plan.program, reason));
    }
    if (stage == ChildStage::Setgid || stage == ChildStage::Setgroups || stage == ChildStage::Setuid) {
        ErrorKind kind = report.err == EPERM ? ErrorKind::Permission : ErrorKind::Generic;
        return fail(kind, fmt::format("cannot run {} as user {}: {} failed: {}", plan.program, plan.user,
                                      stage_name(report.stage), reason));
    }
    if (stage == ChildStage::Chdir) {
        return fail(ErrorKind::Generic,
                    fmt::format("cannot run {}: cannot change directory to {}: {}", plan.program, plan.cwd, reason));
    }
    return fail(ErrorKind::Generic,
                fmt::format("cannot run {}: {} failed: {}", plan.program, stage_name(report.stage), reason));
}

}  // namespace pgtwin::sys::detail
