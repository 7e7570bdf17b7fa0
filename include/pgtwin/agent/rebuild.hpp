// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Bringing a data directory back in line with the primary: pg_rewind, and
// pg_basebackup with the old data kept aside first.

#include <functional>
#include <string_view>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::agent {

// Waits (bounded) until the peer answers SQL, as primary or standby, and
// returns its status (or the last connection error); the source a fresh
// standby is cloned from. Without a known peer it fails at once.
Result<pg::InstanceStatus> wait_for_peer(Context& ctx, Millis max_wait);

// Clones the peer into the (empty or missing) data directory with
// pg_basebackup --progress (stderr handed to `on_stderr` as it arrives),
// creating this node's slot on the peer first. The clone marker stays on
// success (removed once PostgreSQL runs); on failure the partial copy and the
// marker are removed.
Result<void> clone_from_peer(Context& ctx, const std::function<void(std::string_view)>& on_stderr = {});

// Keeps the current data (backup_before_basebackup=true) as a read-only
// Btrfs snapshot when pgdata's directory is a subvolume (snapshot_keep > 0),
// else by moving the directory aside (copied with cp -a when it cannot be
// renamed: backup_dir on another file system, or pgdata a mount point), or
// empties it, leaving an empty directory ready for pg_basebackup; the data
// markers go with the old data.
Result<void> set_aside_data_dir(Context& ctx);

// Empties a data directory left by an interrupted pg_basebackup (a partial
// copy of the peer is worth nothing, so it is not kept) and clears its markers.
Result<void> discard_partial_clone(Context& ctx);

// Rewinds the stopped local data directory to the peer's history (on Btrfs
// after a read-only snapshot of it, see snapshot_keep).
Result<void> rewind_from_peer(Context& ctx);

}  // namespace pgtwin::agent
