// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The SQL the agent runs, as typed functions over a Session.

#include <optional>
#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/pg/client.hpp"
#include "pgtwin/pg/lsn.hpp"

namespace pgtwin::pg {

// Role and WAL position of a running instance.
struct InstanceStatus {
    bool in_recovery = false;
    WalPosition position;  // primary: current insert LSN; standby: max(receive, replay)
    std::string system_identifier;
};

// The standby's WAL receiver (pg_stat_wal_receiver); nullopt when none runs.
struct WalReceiver {
    std::string status;  // "streaming", "starting", ...
    Timeline received_tli = 0;
    Lsn flushed_lsn;
    std::string sender_host;
};

// One row of pg_stat_replication.
struct ReplicationPeer {
    std::string application_name;
    std::string state;       // "streaming", "catchup", "startup", "backup"
    std::string sync_state;  // "sync", "async", "potential", "quorum"
    Lsn sent_lsn, write_lsn, flush_lsn, replay_lsn;
    std::string client_addr;
};

// One replication slot.
struct SlotInfo {
    std::string name;
    bool active = false;
    std::optional<Lsn> restart_lsn;
    std::string wal_status;  // "reserved", "extended", "unreserved", "lost"
};

// Role and position of the instance (needs pg_monitor for a standby's timeline history).
Result<InstanceStatus> instance_status(Session& s, const Deadline& d);
// The same with only functions PUBLIC may run (no grant needed): for the
// peer, reached as rep_user. A standby's timeline may lag a followed switch.
Result<InstanceStatus> role_status(Session& s, const Deadline& d);
Result<std::optional<WalReceiver>> wal_receiver(Session& s, const Deadline& d);
Result<std::vector<ReplicationPeer>> replication_peers(Session& s, const Deadline& d);
Result<std::vector<SlotInfo>> replication_slots(Session& s, const Deadline& d);
// Ends the walsenders serving `application_name` and waits (bounded) until
// they are gone; returns how many were ended. For a standby known to be
// stopped: its walsender can outlive it until wal_sender_timeout when the
// connection died without a reset (partition, node loss).
Result<int> end_walsenders(Session& s, const std::string& application_name, const Deadline& d);
// Whether `slot` no longer keeps the WAL segment holding `needed` (the slot
// lost its WAL, or is idle and reserves only later segments): the standby
// can never stream from `needed`. nullopt when the slot does not exist.
// Reads only pg_replication_slots, so no grant is needed.
Result<std::optional<bool>> slot_lacks_wal(Session& s, const std::string& slot, Lsn needed, const Deadline& d);
// Creates a physical slot reserving WAL now; no-op if it exists, unless it is
// inactive and invalidated (wal_status 'lost'): that one is dropped and made
// again, since a lost slot can never serve a standby nor pg_basebackup -S.
Result<void> ensure_physical_slot(Session& s, const std::string& name, const Deadline& d);
// Drops a slot if it exists and is inactive.
Result<void> drop_slot(Session& s, const std::string& name, const Deadline& d);
// What a primary's upkeep reads each monitor, in one round trip: the two
// settings it manages, and whether the slots need a write.
struct PrimaryUpkeep {
    std::string synchronous_standby_names;
    std::string max_slot_wal_keep_size;  // as SHOW prints it
    bool peer_slot_needs_work = true;    // missing, or inactive with its WAL lost (ensure_physical_slot)
    bool own_slot_droppable = false;     // present and inactive (drop_slot)
};
Result<PrimaryUpkeep> primary_upkeep(Session& s, const std::string& peer_slot, const std::string& own_slot,
                                     const Deadline& d);
// pg_current_wal_lsn() of a primary.
Result<Lsn> current_wal_lsn(Session& s, const Deadline& d);
// A size setting whose unit is MB (max_slot_wal_keep_size) as written in
// postgresql.conf or printed by SHOW ("1024", "1GB", "8192kB", "-1"), in MB
// rounded to nearest as PostgreSQL stores it; nullopt when not such a value.
std::optional<long long> size_setting_mb(const std::string& text);
// Current value of a setting (SHOW).
Result<std::string> setting(Session& s, const std::string& name, const Deadline& d);
// ALTER SYSTEM SET name = value (value quoted), then pg_reload_conf().
Result<void> alter_system_set(Session& s, const std::string& name, const std::string& value, const Deadline& d);
// ALTER SYSTEM RESET name, then pg_reload_conf().
Result<void> alter_system_reset(Session& s, const std::string& name, const Deadline& d);
// CHECKPOINT.
Result<void> checkpoint(Session& s, const Deadline& d);

// Settings and the replication role's grants, as validate-all checks them.
struct ServerFacts {
    int version_num = 0;      // server_version_num
    std::string hot_standby;  // "on"/"off"
    std::string synchronous_commit;
    std::optional<std::string> allow_alter_system;  // PostgreSQL >= 17 only
    bool rep_user_exists = false;
    bool rep_user_replication = false;       // REPLICATION attribute (or superuser)
    bool rep_user_pg_monitor = false;        // member of pg_monitor (or superuser)
    bool rep_user_rewind_functions = false;  // may run the functions pg_rewind calls
};

// Reads them for role `rep_user` (settings and pg_roles: no grant needed).
Result<ServerFacts> server_facts(Session& s, const std::string& rep_user, const Deadline& d);

}  // namespace pgtwin::pg
