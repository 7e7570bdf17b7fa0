// SPDX-License-Identifier: GPL-2.0-or-later
// The SQL the agent runs. Every statement is parameterised except the
// ALTER SYSTEM utility statements, which PostgreSQL cannot parameterise.

#include "pgtwin/pg/queries.hpp"
#include "pgtwin/core/text.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

namespace pgtwin::pg {
namespace {

using Params = std::vector<std::optional<std::string>>;

const std::string& cell_or_empty(const Row& row, std::size_t i) {
    static const std::string kEmpty;
    return i < row.size() && row[i] ? *row[i] : kEmpty;
}

std::optional<Lsn> lsn_cell(const Row& row, std::size_t i) {
    return i < row.size() && row[i] ? Lsn::parse(*row[i]) : std::nullopt;
}

bool bool_cell(const Row& row, std::size_t i) { return cell_or_empty(row, i) == "t"; }

Result<QueryResult> run(Session& s, const std::string& sql, const Params& params, const Deadline& d) {
    return s.query(sql, params, d);
}

Result<Row> single_row(Session& s, const std::string& sql, const Params& params, const Deadline& d) {
    auto r = run(s, sql, params, d);
    if (!r) {
        return r.error();
    }
    if (r->rows.size() != 1) {
        return fail(ErrorKind::Generic, "Expected one row, got " + std::to_string(r->rows.size()));
    }
    return std::move(r->rows.front());
}

// Why this rule: on a primary the checkpoint's timeline lags right after a
// promotion (until the end-of-recovery checkpoint completes), while the WAL
// file name of the insert position always carries the timeline being written.
// A standby has no insert position; its WAL receiver's received_tli is the
// timeline it is following, and when no receiver runs, the restartpoint's
// and minimum-recovery timelines lag behind a followed timeline switch; the
// newest timeline history file in pg_wal (fetched when the standby followed
// the switch) fills that gap (pg_ls_waldir needs pg_monitor). GREATEST
// skips NULLs, so the best available value wins. One round trip: CASE only
// evaluates the branch for the instance's role (the primary-only functions
// fail during recovery).
constexpr const char* kStatusSql =
    "SELECT r.rec,"
    " CASE WHEN r.rec THEN GREATEST(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
    "      ELSE pg_current_wal_lsn() END,"
    " CASE WHEN r.rec THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,"
    " CASE WHEN r.rec THEN GREATEST((SELECT received_tli FROM pg_stat_wal_receiver),"
    "                               (SELECT timeline_id FROM pg_control_checkpoint()),"
    "                               (SELECT min_recovery_end_timeline FROM pg_control_recovery()),"
    "                               (SELECT max(('x' || substr(name, 1, 8))::bit(32)::int)"
    "                                  FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{8}[.]history$'))"
    "      END,"
    " (SELECT system_identifier FROM pg_control_system())"
    " FROM (SELECT pg_is_in_recovery() AS rec) r";

// The same columns with only functions PUBLIC may execute: the peer is
// queried as rep_user, and without pg_monitor the pg_ls_waldir() above makes
// the whole statement fail (EXECUTE is checked at executor start, even for a
// CASE branch that never runs), which hid a running primary. A standby's
// timeline then comes from its receiver and control data only.
constexpr const char* kRoleSql =
    "SELECT r.rec,"
    " CASE WHEN r.rec THEN GREATEST(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
    "      ELSE pg_current_wal_lsn() END,"
    " CASE WHEN r.rec THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,"
    " CASE WHEN r.rec THEN GREATEST((SELECT received_tli FROM pg_stat_wal_receiver),"
    "                               (SELECT timeline_id FROM pg_control_checkpoint()),"
    "                               (SELECT min_recovery_end_timeline FROM pg_control_recovery()))"
    "      END,"
    " (SELECT system_identifier FROM pg_control_system())"
    " FROM (SELECT pg_is_in_recovery() AS rec) r";

std::optional<Timeline> status_timeline(const Row& row, bool in_recovery) {
    if (in_recovery) {
        return parse_number<Timeline>(cell_or_empty(row, 3));
    }
    // WAL file names are TTTTTTTTXXXXXXXXYYYYYYYY: the first 8 hex digits are the timeline.
    const std::string& walfile = cell_or_empty(row, 2);
    return walfile.size() == 24 ? parse_number<Timeline>(std::string_view(walfile).substr(0, 8), 16) : std::nullopt;
}

// Setting names go into SQL text (ALTER SYSTEM takes no parameters), so only
// plain lower-case names are accepted.
bool valid_setting_name(const std::string& name) {
    if (name.empty()) {
        return false;
    }
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || c == '_')) {
            return false;
        }
    }
    return true;
}

Result<void> reload(Session& s, const Deadline& d) {
    auto r = run(s, "SELECT pg_reload_conf()", {}, d);
    return r ? ok() : Result<void>(r.error());
}

Result<InstanceStatus> status_from(Session& s, const char* sql, const Deadline& d) {
    auto row = single_row(s, sql, {}, d);
    if (!row) {
        return row.error();
    }
    InstanceStatus st;
    st.in_recovery = bool_cell(*row, 0);
    auto lsn = lsn_cell(*row, 1);
    auto tli = status_timeline(*row, st.in_recovery);
    if (!lsn || !tli) {
        return fail(ErrorKind::Generic, "Instance status returned no WAL position");
    }
    st.position = WalPosition{*tli, *lsn};
    st.system_identifier = cell_or_empty(*row, 4);
    return st;
}

}  // namespace

Result<InstanceStatus> instance_status(Session& s, const Deadline& d) { return status_from(s, kStatusSql, d); }

Result<InstanceStatus> role_status(Session& s, const Deadline& d) { return status_from(s, kRoleSql, d); }

Result<std::optional<WalReceiver>> wal_receiver(Session& s, const Deadline& d) {
    auto r = run(s,
                 "SELECT status, received_tli, flushed_lsn, sender_host"
                 " FROM pg_stat_wal_receiver WHERE pid IS NOT NULL",
                 {}, d);
    if (!r) {
        return r.error();
    }
    if (r->rows.empty()) {
        return std::optional<WalReceiver>{};
    }
    const Row& row = r->rows.front();
    WalReceiver w;
    w.status = cell_or_empty(row, 0);
    w.received_tli = parse_number<Timeline>(cell_or_empty(row, 1)).value_or(0);
    w.flushed_lsn = lsn_cell(row, 2).value_or(Lsn{});
    w.sender_host = cell_or_empty(row, 3);
    return std::optional<WalReceiver>{std::move(w)};
}

Result<std::vector<ReplicationPeer>> replication_peers(Session& s, const Deadline& d) {
    auto r = run(s,
                 "SELECT application_name, state, sync_state, sent_lsn, write_lsn, flush_lsn,"
                 " replay_lsn, host(client_addr) FROM pg_stat_replication ORDER BY application_name",
                 {}, d);
    if (!r) {
        return r.error();
    }
    std::vector<ReplicationPeer> peers;
    for (const Row& row : r->rows) {
        ReplicationPeer p;
        p.application_name = cell_or_empty(row, 0);
        p.state = cell_or_empty(row, 1);
        p.sync_state = cell_or_empty(row, 2);
        p.sent_lsn = lsn_cell(row, 3).value_or(Lsn{});
        p.write_lsn = lsn_cell(row, 4).value_or(Lsn{});
        p.flush_lsn = lsn_cell(row, 5).value_or(Lsn{});
        p.replay_lsn = lsn_cell(row, 6).value_or(Lsn{});
        p.client_addr = cell_or_empty(row, 7);
        peers.push_back(std::move(p));
    }
    return peers;
}

Result<int> end_walsenders(Session& s, const std::string& application_name, const Deadline& d) {
    // pg_terminate_backend's second argument: wait up to that many ms for
    // the process to exit, so the next look at pg_stat_replication no longer
    // lists it; half the time left at most, the query itself needs the rest.
    const auto wait_ms = std::to_string(std::max<long long>(0, std::min<long long>(d.remaining().count() / 2, 3000)));
    // MATERIALIZED: the terminate call sees the chosen walsenders only. As a
    // plain WHERE clause the planner may apply it to pg_stat_replication's
    // backend scan before the join with the walsenders, ending every backend.
    auto r = run(s,
                 "WITH w AS MATERIALIZED (SELECT pid FROM pg_stat_replication"
                 " WHERE application_name = $1 AND pid <> pg_backend_pid())"
                 " SELECT pid FROM w WHERE pg_terminate_backend(pid, $2::bigint)",
                 {application_name, wait_ms}, d);
    if (!r) {
        return r.error();
    }
    return static_cast<int>(r->rows.size());
}

Result<std::vector<SlotInfo>> replication_slots(Session& s, const Deadline& d) {
    auto r = run(s,
                 "SELECT slot_name, active, restart_lsn, wal_status FROM pg_replication_slots"
                 " ORDER BY slot_name",
                 {}, d);
    if (!r) {
        return r.error();
    }
    std::vector<SlotInfo> slots;
    for (const Row& row : r->rows) {
        slots.push_back(SlotInfo{cell_or_empty(row, 0), bool_cell(row, 1), lsn_cell(row, 2), cell_or_empty(row, 3)});
    }
    return slots;
}

Result<std::optional<bool>> slot_lacks_wal(Session& s, const std::string& slot, Lsn needed, const Deadline& d) {
    // Segments are compared, not LSNs: PostgreSQL keeps the whole segment
    // that holds a slot's restart_lsn.
    auto r = run(s,
                 "SELECT s.wal_status, s.wal_status = 'lost' OR s.restart_lsn IS NULL OR (NOT s.active AND"
                 " floor(pg_wal_lsn_diff(s.restart_lsn, '0/0') / pg_size_bytes(current_setting('wal_segment_size')))"
                 " > floor(pg_wal_lsn_diff($2::pg_lsn, '0/0') / pg_size_bytes(current_setting('wal_segment_size'))))"
                 " FROM pg_replication_slots s WHERE s.slot_name = $1",
                 {slot, needed.str()}, d);
    if (!r) {
        return r.error();
    }
    if (r->rows.empty()) {
        return std::optional<bool>();
    }
    return std::optional<bool>(bool_cell(r->rows.front(), 1));
}

Result<void> ensure_physical_slot(Session& s, const std::string& name, const Deadline& d) {
    auto lost = run(s,
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    " WHERE slot_name = $1 AND NOT active AND wal_status = 'lost'",
                    {name}, d);
    if (!lost) {
        return lost.error();
    }
    if (!lost->rows.empty()) {
        spdlog::warn("Dropped replication slot that lost its WAL. [slot: {}]", name);
    }
    // One statement: the function runs only when the WHERE clause holds.
    // immediately_reserve=true so the slot holds WAL from now on, before the
    // standby first connects.
    auto r = run(s,
                 "SELECT pg_create_physical_replication_slot($1, true)"
                 " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
                 {name}, d);
    if (!r) {
        return r.error();
    }
    if (!r->rows.empty()) {
        spdlog::info("Created replication slot. [slot: {}]", name);
    }
    return ok();
}

Result<void> drop_slot(Session& s, const std::string& name, const Deadline& d) {
    auto r = run(s,
                 "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                 " WHERE slot_name = $1 AND NOT active",
                 {name}, d);
    if (!r) {
        return r.error();
    }
    if (!r->rows.empty()) {
        spdlog::info("Dropped replication slot. [slot: {}]", name);
    }
    return ok();
}

Result<PrimaryUpkeep> primary_upkeep(Session& s, const std::string& peer_slot, const std::string& own_slot,
                                     const Deadline& d) {
    // The slot conditions are those of ensure_physical_slot and drop_slot,
    // so a healthy primary runs neither.
    auto row = single_row(s,
                          "SELECT current_setting('synchronous_standby_names'),"
                          " current_setting('max_slot_wal_keep_size'),"
                          " NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1"
                          " AND (active OR wal_status IS DISTINCT FROM 'lost')),"
                          " EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $2 AND NOT active)",
                          {peer_slot, own_slot}, d);
    if (!row) {
        return row.error();
    }
    return PrimaryUpkeep{cell_or_empty(*row, 0), cell_or_empty(*row, 1), bool_cell(*row, 2), bool_cell(*row, 3)};
}

Result<Lsn> current_wal_lsn(Session& s, const Deadline& d) {
    auto row = single_row(s, "SELECT pg_current_wal_lsn()", {}, d);
    if (!row) {
        return row.error();
    }
    auto lsn = lsn_cell(*row, 0);
    if (!lsn) {
        return fail(ErrorKind::Generic, "pg_current_wal_lsn() returned no LSN");
    }
    return *lsn;
}

std::optional<long long> size_setting_mb(const std::string& text) {
    // PostgreSQL's memory units are powers of 1024 and case-sensitive.
    static const std::pair<const char*, double> kUnits[] = {
        {"TB", 1024.0 * 1024.0}, {"GB", 1024.0}, {"MB", 1.0}, {"kB", 1.0 / 1024.0}, {"B", 1.0 / (1024.0 * 1024.0)}};
    std::string_view digits = text;
    double factor = 1.0;  // a bare number is in the setting's unit, MB
    for (const auto& [suffix, f] : kUnits) {
        std::string_view sv = suffix;
        if (digits.size() > sv.size() && digits.substr(digits.size() - sv.size()) == sv) {
            digits.remove_suffix(sv.size());
            factor = f;
            break;
        }
    }
    auto value = parse_number<long long>(digits);
    if (!value) {
        return std::nullopt;
    }
    if (*value < 0) {
        return *value == -1 && factor == 1.0 ? std::optional<long long>(-1) : std::nullopt;
    }
    return std::llround(static_cast<double>(*value) * factor);
}

Result<std::string> setting(Session& s, const std::string& name, const Deadline& d) {
    // current_setting() is SHOW as a function, so the name can be a parameter.
    auto row = single_row(s, "SELECT current_setting($1)", {name}, d);
    if (!row) {
        return row.error();
    }
    return cell_or_empty(*row, 0);
}

Result<void> alter_system_set(Session& s, const std::string& name, const std::string& value, const Deadline& d) {
    if (!valid_setting_name(name)) {
        return fail(ErrorKind::Generic, "Invalid setting name: " + name);
    }
    auto quoted = s.quote_literal(value);
    if (!quoted) {
        return quoted.error();
    }
    if (auto r = run(s, "ALTER SYSTEM SET " + name + " = " + *quoted, {}, d); !r) {
        return r.error();
    }
    return reload(s, d);
}

Result<void> alter_system_reset(Session& s, const std::string& name, const Deadline& d) {
    if (!valid_setting_name(name)) {
        return fail(ErrorKind::Generic, "Invalid setting name: " + name);
    }
    if (auto r = run(s, "ALTER SYSTEM RESET " + name, {}, d); !r) {
        return r.error();
    }
    return reload(s, d);
}

Result<void> checkpoint(Session& s, const Deadline& d) {
    auto r = run(s, "CHECKPOINT", {}, d);
    return r ? ok() : Result<void>(r.error());
}

Result<ServerFacts> server_facts(Session& s, const std::string& rep_user, const Deadline& d) {
    // LEFT JOIN: one row even when the role does not exist.
    auto row = single_row(s,
                          "SELECT current_setting('server_version_num'), current_setting('hot_standby'),"
                          " current_setting('synchronous_commit'), current_setting('allow_alter_system', true),"
                          " r.oid IS NOT NULL, coalesce(r.rolsuper OR r.rolreplication, false),"
                          " coalesce(pg_has_role(r.oid, 'pg_monitor', 'USAGE'), false),"
                          " coalesce(has_function_privilege(r.oid, 'pg_ls_dir(text, boolean, boolean)', 'EXECUTE')"
                          "  AND has_function_privilege(r.oid, 'pg_stat_file(text, boolean)', 'EXECUTE')"
                          "  AND has_function_privilege(r.oid, 'pg_read_binary_file(text)', 'EXECUTE')"
                          "  AND has_function_privilege(r.oid, 'pg_read_binary_file(text, bigint, bigint, boolean)',"
                          "                             'EXECUTE'), false)"
                          " FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1",
                          {rep_user}, d);
    if (!row) {
        return row.error();
    }
    ServerFacts f;
    f.version_num = parse_number<int>(cell_or_empty(*row, 0)).value_or(0);
    f.hot_standby = cell_or_empty(*row, 1);
    f.synchronous_commit = cell_or_empty(*row, 2);
    if (row->size() > 3 && (*row)[3]) {
        f.allow_alter_system = *(*row)[3];
    }
    f.rep_user_exists = bool_cell(*row, 4);
    f.rep_user_replication = bool_cell(*row, 5);
    f.rep_user_pg_monitor = bool_cell(*row, 6);
    f.rep_user_rewind_functions = bool_cell(*row, 7);
    return f;
}

}  // namespace pgtwin::pg
