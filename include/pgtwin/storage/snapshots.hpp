// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Read-only Btrfs snapshots of a node's subvolume as the safety net before
// pg_rewind or pg_basebackup replace its data, and what an administrator
// does with them: list, restore into a startable copy, prune.
// Snapshots live next to the subvolume: <subvolume>.<label>. The agent's own
// labels are pgtwin-<reason>-<YYYYmmddTHHMMSSZ>[-<n>]; only those are pruned.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::storage {

// One snapshot of a subvolume.
struct SnapshotInfo {
    std::string path;        // <subvolume>.<label>
    std::string label;       // the part after "<subvolume>."
    bool automatic = false;  // taken by the agent (label pgtwin-...): prune may delete it
};

// The label the agent gives a snapshot taken at `when` before `reason` (e.g. "rewind").
std::string automatic_label(const std::string& reason, std::chrono::system_clock::time_point when);

// Snapshots of `subvolume` found next to it: manual ones first (by label),
// then the agent's, oldest first (their labels sort by time).
std::vector<SnapshotInfo> list_snapshots(const std::string& subvolume);

// The agent's snapshots that prune deletes so that the newest `keep` remain, oldest first.
std::vector<SnapshotInfo> prune_candidates(const std::vector<SnapshotInfo>& snapshots, unsigned keep);

// Deletes prune_candidates(list_snapshots(subvolume), keep) with
// `btrfs subvolume delete`, oldest first; returns the deleted paths.
Result<std::vector<std::string>> prune_snapshots(const std::string& subvolume, unsigned keep,
                                                 sys::CommandRunner& runner, const Deadline& d);

// Free space of the file system holding a path, as a share of its size
// (0..1, statvfs: blocks available to unprivileged users / all blocks);
// nullopt when it cannot be read.
using FreeShareProbe = std::function<std::optional<double>(const std::string&)>;

// The statvfs answer for `path`.
std::optional<double> free_share(const std::string& path);

// How far prune_for_space may go.
struct SpacePolicy {
    double min_free_share = 0;  // prune while the free share is below this (0: never)
    unsigned keep_newest = 0;   // never delete the newest N of the agent's snapshots
    unsigned max_deletes = 0;   // at most this many deletions per call (0: no limit)
};

// Deletes the agent's snapshots of `subvolume`, oldest first and one at a
// time, while the file system's free share is below the policy's minimum.
// Btrfs frees a deleted snapshot's space in the background: after each
// deletion `btrfs subvolume sync` waits for it (bounded by `d`; when `d`
// runs out the next deletion is left to the next call). Manual snapshots are
// never deleted. Returns the deleted paths.
Result<std::vector<std::string>> prune_for_space(const std::string& subvolume, const SpacePolicy& policy,
                                                 sys::CommandRunner& runner, const Deadline& d,
                                                 const FreeShareProbe& probe = free_share);

// Answers whether a directory lies on a Btrfs file system (statfs).
using BtrfsProbe = std::function<bool(const std::string&)>;

// True when `path` is on a Btrfs file system.
bool on_btrfs(const std::string& path);

// The subvolume a data directory's copy is kept from: the directory holding
// it (…/@postgres-<node> in the layout), when that is on Btrfs and is a
// subvolume; nullopt otherwise (other file systems keep their old behaviour).
Result<std::optional<std::string>> data_subvolume(const std::string& data_dir, sys::CommandRunner& runner,
                                                  const Deadline& d, const BtrfsProbe& probe = on_btrfs);

// Takes a read-only snapshot of `subvolume` labelled for `reason`, then
// prunes the agent's snapshots down to `keep`; returns the snapshot's path.
// A failed prune is logged, never fatal: the new copy exists.
Result<std::string> keep_snapshot(const std::string& subvolume, const std::string& reason, unsigned keep,
                                  sys::CommandRunner& runner, const Deadline& d,
                                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Makes a writable copy of `snapshot` at `dest` (btrfs subvolume snapshot)
// and cleans it so that PostgreSQL starts there as an independent instance:
// no standby.signal/recovery.signal, no stale postmaster.pid, no agent
// markers. The data directory is <dest>/data.
Result<void> restore_snapshot(const std::string& snapshot, const std::string& dest, sys::CommandRunner& runner,
                              const Deadline& d);

}  // namespace pgtwin::storage
