// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Publishing scores and attributes to Pacemaker without spawning a process
// per monitor: what was last published is cached in a small per-node state
// file (on tmpfs, so it never outlives a reboot) and refreshed periodically.

#include <map>
#include <optional>
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

// Seconds after which cached values are published again anyway.
inline constexpr long long kRepublishSeconds = 300;

// Publishes the promotion score of `node` unless the cache says it is current.
Result<void> publish_score(Context& ctx, AgentState& state, const std::string& node, int score);

// Publishes a forever node attribute unless the cache says it is current.
Result<void> publish_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                               const std::string& value);

// Publishes a forever node attribute after reading it back from Pacemaker,
// bypassing the cache: for values another writer may have overwritten.
Result<void> reassert_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                                const std::string& value);

// Publishes the promotion score of `node` after reading it back, bypassing the cache.
Result<void> reassert_score(Context& ctx, AgentState& state, const std::string& node, int score);

// Forgets the cache so the next publish calls go to Pacemaker.
void invalidate_published(AgentState& state);

}  // namespace pgtwin::agent
