// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Internal to src/sys: what ProcessRunner prepares before fork() and what the
// child does after it. Everything the child needs is built in the parent,
// because after fork() in a possibly threaded process only async-signal-safe
// calls are allowed (no malloc, no NSS lookups).

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "pgtwin/sys/command.hpp"

namespace pgtwin::sys::detail {

// Owns one file descriptor.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            m_fd = std::exchange(o.m_fd, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    void reset() {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd = -1;
};

// Where the child failed before (or at) exec.
enum class ChildStage : int { Signals = 1, Setpgid, Dup, Setgid, Setgroups, Setuid, Chdir, Exec, ParentDeath };

// Sent by the child over the CLOEXEC report pipe when it cannot exec.
struct ChildReport {
    int stage = 0;
    int err = 0;
};

// The child's descriptors (all >= 3 and CLOEXEC in the parent).
struct ChildFds {
    int stdin_read = -1;
    int stdout_write = -1;
    int stderr_write = -1;
    int report_write = -1;
};

// Everything the child needs, prepared before fork().
struct SpawnPlan {
    std::string program;                  // argv[0] as given, for messages
    std::vector<std::string> candidates;  // paths to try with execve, in PATH order
    std::vector<std::string> args;
    std::vector<std::string> env;  // "KEY=value"
    std::vector<char*> argv_ptrs;  // null-terminated views into args
    std::vector<char*> env_ptrs;   // null-terminated views into env
    std::string cwd;               // empty: inherit
    std::string user;              // empty: no privilege drop
    bool drop_privileges = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups of `user`
    int max_fd = 1024;          // fallback bound when close_range is missing
    pid_t parent = 0;           // the agent: the child dies with it
};

// Fills `plan` in place (it holds pointers into itself: do not move it).
Result<void> make_spawn_plan(const Command& cmd, SpawnPlan& plan);

// The child side after fork(): never returns; execs or reports and _exits.
[[noreturn]] void child_main(const SpawnPlan& plan, const ChildFds& fds) noexcept;

// Turns a child's report into the Error that run() returns.
Error report_to_error(const SpawnPlan& plan, const ChildReport& report);

}  // namespace pgtwin::sys::detail
