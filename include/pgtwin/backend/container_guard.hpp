// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Safety checks of container mode that the runtime cannot do for pgtwin:
// - the shared socket directory must be private to the container user, since
//   the local socket uses trust authentication;
// - no postmaster may already run on the data directory (in a container of
//   any name or runtime, or on the host) before pgtwin starts one: in a
//   container every postmaster is PID 1, so PostgreSQL's own postmaster.pid
//   interlock cannot tell a live one from a stale one.

#include <sys/types.h>

#include <string>
#include <vector>

#include "pgtwin/core/result.hpp"

namespace pgtwin::backend {

// InvalidConfig unless `dir` (when it exists) has no group/other permission
// bits and every directory above it (of the path as given and of its
// symlink-resolved form) is owned by root or `container_uid` and is not
// writable by group or others (sticky directories such as /tmp excepted).
Result<void> check_socket_dir_private(const std::string& dir, uid_t container_uid);

// InvalidConfig when the administrator's run options would replace pgtwin's
// --entrypoint (which keeps the image's entrypoint from running).
Result<void> check_run_options(const std::vector<std::string>& words);

// PIDs of live (not zombie) postgres/postmaster processes whose working
// directory is `pgdata` (compared by device and inode, so a bind mount into
// a container matches), read from `proc_root` (normally /proc).
std::vector<pid_t> postmasters_using(const std::string& pgdata, const std::string& proc_root = "/proc");

// True when something accepts a connection on the Unix socket `path`.
bool unix_socket_accepts(const std::string& path);

}  // namespace pgtwin::backend
