// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The agent's small per-node state file (on tmpfs, so it never outlives a
// reboot): what was last published to Pacemaker, and what the monitors of a
// standby or primary carry from one run to the next.

#include <map>
#include <string>

#include "pgtwin/agent/context.hpp"

namespace pgtwin::agent {

// The per-node state file's content.
struct AgentState {
    std::map<std::string, std::string> published;  // key -> last value published
    long long published_at = 0;                    // wall-clock seconds of the last full publish
    int replication_failures = 0;                  // consecutive standby monitors without streaming
    std::string replay_lsn;                        // standby's WAL position at the last monitor
    // Primary: LSN the standby must have flushed before it counts as in sync
    // after being named synchronous ("" none pending, kSyncTargetPending: to
    // be taken at the next monitor).
    std::string sync_target_lsn;
};

// sync_target_lsn value meaning "name switched, LSN not captured yet".
inline constexpr const char* kSyncTargetPending = "pending";

// Path of the state file for this node and resource.
std::string state_path(const Context& ctx);

// Loads the state (empty state when missing, unreadable or a symlink).
AgentState load_state(const Context& ctx);

// Saves the state (best effort, logged on failure): mode 0600 through a
// unique temporary file and a rename, in a directory created 0700; a
// symlink at the path is refused.
void save_state(const Context& ctx, const AgentState& state);

}  // namespace pgtwin::agent
