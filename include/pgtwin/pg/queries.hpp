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
    WalPosition position;        // primary: current insert LSN; standby: max(receive, replay)
    std::string system_identifier;
};

// The standby's WAL receiver (pg_stat_wal_receiver); nullopt when none runs.
struct WalReceiver {
    std::string status;          // "streaming", "starting", ...
    Timeline received_tli = 0;
    Lsn flushed_lsn;
    std::string sender_host;
};

// One row of pg_stat_replication.
struct ReplicationPeer {
    std::string application_name;
    std::string state;           // "streaming", "catchup", "startup", "backup"
    std::string sync_state;      // "sync", "async", "potential", "quorum"
    Lsn sent_lsn, write_lsn, flush_lsn, replay_lsn;
    std::string client_addr;
};

// One replication slot.
struct SlotInfo {
    std::string name;
    bool active = false;
    std::optional<Lsn> restart_lsn;
    std::string wal_status;      // "reserved", "extended", "unreserved", "lost"
};

Result<InstanceStatus> instance_status(Session& s, const Deadline& d);
Result<std::optional<WalReceiver>> wal_receiver(Session& s, const Deadline& d);
Result<std::vector<ReplicationPeer>> replication_peers(Session& s, const Deadline& d);
Result<std::vector<SlotInfo>> replication_slots(Session& s, const Deadline& d);
// Creates a physical slot reserving WAL now; no-op if it exists.
Result<void> ensure_physical_slot(Session& s, const std::string& name, const Deadline& d);
// Drops a slot if it exists and is inactive.
Result<void> drop_slot(Session& s, const std::string& name, const Deadline& d);
// pg_current_wal_lsn() of a primary.
Result<Lsn> current_wal_lsn(Session& s, const Deadline& d);
// A size setting whose unit is MB (max_slot_wal_keep_size) as written in
// postgresql.conf or printed by SHOW ("1024", "1GB", "8192kB", "-1"), in MB
// rounded to nearest as PostgreSQL stores it; nullopt when not such a value.
std::optional<long long> size_setting_mb(const std::string& text);
// Current value of a setting (SHOW).
Result<std::string> setting(Session& s, const std::string& name, const Deadline& d);
// ALTER SYSTEM SET name = value (value quoted), then pg_reload_conf().
Result<void> alter_system_set(Session& s, const std::string& name, const std::string& value,
                              const Deadline& d);
// ALTER SYSTEM RESET name, then pg_reload_conf().
Result<void> alter_system_reset(Session& s, const std::string& name, const Deadline& d);
// CHECKPOINT.
Result<void> checkpoint(Session& s, const Deadline& d);

}  // namespace pgtwin::pg
