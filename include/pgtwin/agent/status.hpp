// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// `pgtwin status`: the facts an administrator needs about both nodes, read
// without changing anything, and what the agent would do next.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pgtwin/agent/context.hpp"

namespace pgtwin::agent {

// The standby's row in the primary's pg_stat_replication.
struct StandbyRowFacts {
    std::string state;       // "streaming", "catchup", ...
    std::string sync_state;  // "sync", "async", ...
    std::optional<std::int64_t> flush_lag_bytes;
};

// A data copy kept aside before a re-clone (<pgdata>.pgtwin-backup-<time>).
struct DataCopyFacts {
    std::string path;
    std::optional<std::uint64_t> bytes;
};

// A Btrfs snapshot of the node's subvolume (storage layout only).
struct SnapshotFacts {
    std::string path;
    bool automatic = false;  // the agent's own (pruned by snapshot_keep and snapshot_min_free)
};

// The clone job recorded in the state directory (local node only).
struct CloneJobFacts {
    std::string phase;  // cloning, starting, done, failed, stopped
    long pid = 0;
    bool alive = false;  // pid runs with the recorded start time
    std::int64_t done_bytes = 0;
    std::int64_t total_bytes = 0;
    double rate_bytes_per_second = 0;
    std::string error;  // last error line ("" if none)
};

// What is known about one node; unknown facts stay unset.
struct NodeFacts {
    std::string node;
    std::string role = "unknown";  // primary, standby, stopped, crashed, no-data, unknown
    std::optional<std::uint32_t> timeline;
    std::string lsn;                               // "X/Y"; empty when unknown
    std::optional<std::int64_t> replay_lag_bytes;  // standby: behind the primary (or its own receive LSN)
    std::optional<double> replay_lag_seconds;      // standby: now() - pg_last_xact_replay_timestamp()
    std::optional<bool> wal_receiver_streaming;    // standby only
    std::optional<StandbyRowFacts> standby;        // primary only: its standby's row
    std::optional<std::string> rep_state;          // the agent's recorded replication state
    std::optional<int> promotion_score;
    std::string in_progress;                    // "", "clone", "rewind", "rebuild", "no-control-file"
    std::optional<std::uint64_t> pgdata_bytes;  // only while a clone/rewind/rebuild is pending
    std::vector<DataCopyFacts> data_copies;
    std::vector<SnapshotFacts> snapshots;      // local only: snapshots of the data's subvolume
    std::optional<double> data_fs_free_share;  // local only: free share of the data file system (0..1)
    std::optional<CloneJobFacts> clone_job;    // local only: the last clone job, if recorded
    std::vector<std::string> errors;           // why facts are missing (unreachable, ...)
};

// Everything `pgtwin status` reports.
struct StatusFacts {
    std::string resource;
    std::string mode;      // "vm" or "container"
    std::string rep_mode;  // "sync" or "async"
    std::int64_t max_promotion_lag_bytes = 0;
    bool auto_basebackup = true;
    unsigned snapshot_min_free = 0;  // percent
    NodeFacts local;
    std::optional<NodeFacts> peer;
};

// What the agent would do next about the local node, in one line (pure).
std::string next_step(const StatusFacts& f);

// The documented JSON object (docs/status.md); fields are only ever added.
nlohmann::json status_json(const StatusFacts& f);

// Prometheus text exposition (for node_exporter's textfile collector).
std::string status_prometheus(const StatusFacts& f);

// The human-readable report.
std::string status_text(const StatusFacts& f);

// Reads the facts: at most one local and one peer libpq session, the
// Pacemaker attributes, markers and kept copies; pg_controldata only when
// PostgreSQL is down. Never changes anything.
StatusFacts collect_status(Context& ctx);

// "3.0 MB" style size for humans.
std::string human_bytes(std::int64_t bytes);

}  // namespace pgtwin::agent
