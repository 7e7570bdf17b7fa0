// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Long-lived background jobs: started in their own session (so the kill of
// the OCF action that started them does not reach them), recognised later by
// pid plus kernel start time (a reused pid is another process), and stopped
// by signalling their process group.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/clock.hpp"
#include "pgtwin/core/result.hpp"

namespace pgtwin::sys {

// The descriptor a detached job writes one byte to once it is set up.
inline constexpr int kReadyFd = 3;

// A program to run detached: argv only, its complete environment, and the
// file (appended, 0600) that receives its stdout and stderr.
struct DetachedCommand {
    std::vector<std::string> argv;  // argv[0] is an absolute path
    std::vector<std::string> env;   // "KEY=value", the whole environment
    std::string log_path;
};

// Starts `cmd` with setsid() (own session and process group), stdin from
// /dev/null, no parent-death signal, and fd kReadyFd open for writing; waits
// (at most `wait`) until it writes a byte there. Returns its pid; an error
// when it could not start or exited / stayed silent before it was ready.
Result<pid_t> start_detached(const DetachedCommand& cmd, Millis wait);

// Called by the job: writes the ready byte to kReadyFd and closes it.
void signal_ready();

// The start time (clock ticks since boot) field of a /proc/<pid>/stat text.
std::optional<unsigned long long> parse_stat_start_time(std::string_view stat);

// The start time of `pid` from /proc, if it exists and is not a zombie.
std::optional<unsigned long long> process_start_time(pid_t pid);

// Sends `sig` to the process group `pgid` (a detached job leads its own).
// True when the group existed.
bool signal_group(pid_t pgid, int sig);

}  // namespace pgtwin::sys
