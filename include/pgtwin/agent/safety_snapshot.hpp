// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Btrfs snapshots as the safety net before pg_rewind or pg_basebackup
// change a node's data (snapshot_keep).

#include <optional>
#include <string>

#include "pgtwin/agent/context.hpp"

namespace pgtwin::agent {

// When the directory holding pgdata is a Btrfs subvolume and snapshot_keep
// is not 0: takes a read-only snapshot of it before `reason` ("rewind",
// "basebackup") and prunes the agent's snapshots to snapshot_keep; returns
// the snapshot's path. nullopt: no snapshot (another file system, or off),
// the caller keeps the old data its usual way. Below snapshot_min_free the
// older snapshots are deleted first, oldest first, to make room.
Result<std::optional<std::string>> snapshot_before(Context& ctx, const std::string& reason);

// For monitor: when the data file system has less than snapshot_min_free
// free, deletes the agent's oldest snapshot (never the newest). Costs one
// statvfs when there is enough space; failures are logged, never fatal.
void keep_free_space(Context& ctx);

}  // namespace pgtwin::agent
