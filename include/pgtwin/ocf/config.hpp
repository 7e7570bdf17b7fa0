// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Config: every agent parameter, parsed and typed. Produced from the
// environment by ocf::parse_config using the one parameter table (params.hpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgtwin::ocf {

enum class RepMode { Sync, Async };
enum class ContainerRuntime { Auto, Podman, Docker };

// All agent parameters after parsing and defaulting.
struct Config {
    // --- PostgreSQL instance ---
    std::string pgdata;     // required; host path of the data directory
    std::string pg_bindir;  // empty: discovered from PG_VERSION
    int pgport = 5432;
    std::string pghost;               // local socket directory; parse_config fills /var/run/postgresql
    std::string pguser = "postgres";  // OS user that owns and runs PostgreSQL
    std::string pgdatabase = "postgres";
    std::string pgpassfile;  // passfile used for replication/peer connections
    std::string start_opts;  // extra options for postgres (-o), split on spaces
    std::string logfile;     // server log (pg_ctl -l); empty: <pgdata>/log/pgtwin-postgresql.log
    // --- replication ---
    std::string rep_user = "replicator";
    std::string application_name;  // empty: this node's name
    std::string slot_name;         // empty: derived from node name (pgtwin_<node>)
    std::string max_slot_wal_keep_size = "4GB";
    RepMode rep_mode = RepMode::Sync;
    std::vector<std::string> node_list;                 // the two cluster node names
    std::map<std::string, std::string> node_addresses;  // name -> address (peer_addresses)
    int replication_failure_threshold = 5;
    std::int64_t max_promotion_lag_bytes = std::int64_t{16} * 1024 * 1024;
    bool force_promotion = false;
    // --- rebuild / rejoin ---
    bool backup_before_basebackup = true;
    std::string backup_dir;  // empty: <pgdata>.pgtwin-backup-<time> next to pgdata
    std::chrono::seconds basebackup_timeout{3600};
    std::string clone_max_rate;  // pg_basebackup --max-rate ("": unlimited)
    bool auto_rewind = true;
    bool auto_basebackup = true;
    unsigned snapshot_keep = 3;       // Btrfs: snapshots kept before rewind/basebackup; 0: none
    unsigned snapshot_min_free = 20;  // Btrfs: % of the file system the agent's snapshots leave free; 0: no check
    // --- container mode ---
    bool container_mode = false;
    ContainerRuntime container_runtime = ContainerRuntime::Auto;
    std::string container_image = "postgres:17";
    std::string container_name;  // empty: pgtwin-postgres-<node>
    std::string container_user = "postgres";
    std::string container_run_options;  // extra `run` options, split on spaces
    std::string container_config_dir;   // host dir mounted read-only at /etc/postgresql
    std::string container_archive_dir;  // host dir mounted at /var/lib/postgresql/archive
    std::string container_log_dir;      // host dir for the server log; empty: <pgdata>/../log
    bool container_pull = false;        // pull the image at start if missing
    // --- deprecated, accepted and ignored ---
    std::optional<std::string> monitor_timeout_promoted;
    std::optional<std::string> monitor_timeout_unpromoted;

    // Field-wise equality (tests compare parsed configurations).
    bool operator==(const Config&) const = default;
};

// Pacemaker's meta attributes and notify data for this invocation.
struct MetaEnv {
    std::string on_node;                       // OCF_RESKEY_CRM_meta_on_node
    std::chrono::milliseconds timeout{20000};  // OCF_RESKEY_CRM_meta_timeout
    std::chrono::milliseconds interval{0};     // OCF_RESKEY_CRM_meta_interval
    bool is_probe() const { return interval.count() == 0; }
    std::string role;                 // OCF_RESKEY_CRM_meta_role (monitor of a role)
    bool notify_enabled = false;      // OCF_RESKEY_CRM_meta_notify
    bool notify_passed = false;       // ... was set (Pacemaker sets it for clones)
    std::optional<int> clone_max;     // OCF_RESKEY_CRM_meta_clone_max, if passed
    std::optional<int> promoted_max;  // OCF_RESKEY_CRM_meta_promoted_max (or master_max), if passed
};

}  // namespace pgtwin::ocf
