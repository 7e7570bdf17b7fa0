// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Process liveness from /proc, and the postmaster.pid of a data directory.
// kill(pid, 0) alone is not trusted: a killed postmaster can stay a zombie
// for a while on these machines, and a stale pid file's PID can be reused.

#include <sys/types.h>

#include <optional>
#include <string>

#include "pgtwin/core/result.hpp"

namespace pgtwin::sys {

// The contents of PGDATA/postmaster.pid (fields PostgreSQL has not written yet are empty).
struct PostmasterPid {
    pid_t pid = 0;             // line 1
    std::string data_dir;      // line 2
    long long start_time = 0;  // line 3, seconds since the epoch
    int port = 0;              // line 4
    std::string socket_dir;    // line 5, first unix socket directory
    std::string listen_addr;   // line 6, first listen address
    std::string status;        // line 8: "starting", "stopping", "ready", "standby"
};

// True when `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

// The kernel's short command name of `pid` (/proc/<pid>/comm), if readable.
std::optional<std::string> process_comm(pid_t pid);

// The working directory of `pid` (/proc/<pid>/cwd), if readable.
std::optional<std::string> process_cwd(pid_t pid);

// Parses PGDATA/postmaster.pid; nullopt when there is none, an error when it
// is unreadable or its first line is not a PID.
Result<std::optional<PostmasterPid>> read_postmaster_pid(const std::string& pgdata);

// True when postmaster.pid names a live process that really is the postmaster
// of `pgdata` (comm postgres/postmaster and cwd = pgdata, since postgres
// chdirs into its data directory), so a stale file with a reused PID is no.
bool postmaster_running(const std::string& pgdata);

}  // namespace pgtwin::sys
