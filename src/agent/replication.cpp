// SPDX-License-Identifier: GPL-2.0-or-later
// Replication housekeeping: the primary's verdict on its standby, synchronous_standby_names, slots.

#include "pgtwin/agent/replication.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/ocf/params.hpp"
#include "pgtwin/pg/auto_conf.hpp"
#include "pgtwin/pg/standby_conf.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::agent {

namespace {

// Publishes the verdict on the standby and this primary's own score/state.
// While the standby is not in sync the cache is not trusted for it: a late
// write of another node or a CIB merge may have replaced the marker that
// keeps it from being promoted, so it is read back and corrected.
Result<void> publish_verdict(Context& ctx, AgentState& state, const StandbyVerdict& verdict) {
    auto names = attribute_names(ctx.resource);
    if (!ctx.peer.empty() && verdict.state != RepState::InSync) {
        if (auto r = reassert_attribute(ctx, state, ctx.peer, names.rep_state, to_string(verdict.state)); !r) return r;
        if (auto r = reassert_score(ctx, state, ctx.peer, verdict.score); !r) return r;
    } else if (!ctx.peer.empty()) {
        if (auto r = publish_attribute(ctx, state, ctx.peer, names.rep_state, to_string(verdict.state)); !r) return r;
        if (auto r = publish_score(ctx, state, ctx.peer, verdict.score); !r) return r;
    }
    if (auto r = publish_attribute(ctx, state, ctx.node, names.rep_state, to_string(RepState::Primary)); !r) return r;
    return publish_score(ctx, state, ctx.node, kPrimaryScore);
}

}  // namespace

std::optional<pg::ReplicationPeer> find_standby_row(const std::vector<pg::ReplicationPeer>& rows,
                                                    const std::string& app_name) {
    // Prefer a streaming row: a reconnecting standby can briefly show two.
    std::optional<pg::ReplicationPeer> found;
    for (const auto& r : rows) {
        if (r.application_name != app_name) continue;
        // A tool's stream (pg_basebackup -X stream) is never the standby.
        if (r.application_name.rfind(kCloneAppPrefix, 0) == 0) continue;
        if (!found || r.state == "streaming") found = r;
    }
    return found;
}

std::string peer_application_name(const Context& ctx) {
    return ctx.cfg.application_name == ctx.node ? ctx.peer : ctx.cfg.application_name;
}

std::string slot_name_for(const Context& ctx, const std::string& node) {
    if (ctx.cfg.slot_name != ocf::default_slot_name(ctx.node)) return ctx.cfg.slot_name;
    return ocf::default_slot_name(node);
}

namespace {

Result<pg::PrimaryUpkeep> read_upkeep(Context& ctx, pg::Session& session) {
    std::string peer_slot = ctx.peer.empty() ? std::string{} : slot_name_for(ctx, ctx.peer);
    return pg::primary_upkeep(session, peer_slot, slot_name_for(ctx, ctx.node), ctx.deadline);
}

// The peer's slot and the WAL cap as `upkeep` read them: a write only where
// one is needed, so a healthy primary's monitor spends no round trip here.
Result<void> keep_slots_and_cap(Context& ctx, pg::Session& session, const pg::PrimaryUpkeep& upkeep) {
    if (!ctx.peer.empty()) {
        std::string peer_slot = slot_name_for(ctx, ctx.peer);
        if (upkeep.peer_slot_needs_work) {
            if (auto r = pg::ensure_physical_slot(session, peer_slot, ctx.deadline); !r) return r;
        }
        std::string own_slot = slot_name_for(ctx, ctx.node);
        if (own_slot != peer_slot && upkeep.own_slot_droppable) {
            // A slot for ourselves (left from when we were a standby) only pins WAL.
            if (auto r = pg::drop_slot(session, own_slot, ctx.deadline); !r) {
                spdlog::warn("Could not drop own stale slot. [slot: {}, reason: {}]", own_slot, r.error().message);
            }
        }
    }
    // SHOW prints normalised units (1024MB shows as 1GB): compare the values,
    // or every monitor would ALTER SYSTEM and reload.
    const std::string& cap = upkeep.max_slot_wal_keep_size;
    auto shown = pg::size_setting_mb(cap);
    auto wanted = pg::size_setting_mb(ctx.cfg.max_slot_wal_keep_size);
    bool same = shown && wanted ? *shown == *wanted : cap == ctx.cfg.max_slot_wal_keep_size;
    if (!same) {
        spdlog::info("Capping WAL kept for slots. [max_slot_wal_keep_size: {}]", ctx.cfg.max_slot_wal_keep_size);
        return pg::alter_system_set(session, "max_slot_wal_keep_size", ctx.cfg.max_slot_wal_keep_size, ctx.deadline);
    }
    return ok();
}

}  // namespace

Result<void> ensure_slots_and_cap(Context& ctx, pg::Session& session) {
    auto upkeep = read_upkeep(ctx, session);
    if (!upkeep) return upkeep.error();
    return keep_slots_and_cap(ctx, session, *upkeep);
}

namespace {

// The LSN the standby must have flushed to count as in sync (see AgentState).
std::optional<pg::Lsn> sync_floor(const AgentState& state) {
    if (state.sync_target_lsn.empty()) return std::nullopt;
    // Pending or unreadable: never in sync before a real LSN is taken.
    return pg::Lsn::parse(state.sync_target_lsn).value_or(pg::Lsn{~std::uint64_t{0}});
}

// Takes the floor after the standby was named synchronous: everything
// acknowledged before (while degraded) is below it.
Result<void> capture_sync_floor(Context& ctx, pg::Session& session, AgentState& state) {
    auto lsn = pg::current_wal_lsn(session, ctx.deadline);
    if (!lsn) return lsn.error();
    state.sync_target_lsn = lsn->str();
    spdlog::info("Standby named synchronous; in sync once it has flushed this. [lsn: {}]", state.sync_target_lsn);
    return ok();
}

// After naming the standby synchronous, waits briefly until `judge` finds
// it in sync so it becomes promotable in this monitor, not the next. The
// floor is taken once its walsender reports 'sync', not right after
// pg_reload_conf(): the reload is asynchronous, and commits only start to
// wait once the server's processes have re-read the configuration (the
// walsender's 'sync' shows that; the checkpointer's flag is not visible).
template <class Judge>
std::optional<pg::ReplicationPeer> wait_for_sync(Context& ctx, pg::Session& session, AgentState& state,
                                                 std::optional<pg::ReplicationPeer> row, Judge judge) {
    Deadline until = ctx.deadline.capped(kSyncWait);
    while (until.remaining() > kSyncPollInterval) {
        ctx.clock.sleep_for(kSyncPollInterval);
        auto rows = pg::replication_peers(session, ctx.deadline);
        if (!rows) break;
        row = find_standby_row(*rows, peer_application_name(ctx));
        if (!row) break;
        if (row->sync_state == "sync" && state.sync_target_lsn == kSyncTargetPending &&
            !capture_sync_floor(ctx, session, state)) {
            break;
        }
        if (judge(row).state == RepState::InSync) break;
    }
    return row;
}

// Review H1: dropping the standby is safe only when the not-promotable
// record reaches it or it is cleanly down; forks crm_mon, so asked only then.
bool may_drop_standby(Context& ctx) {
    if (ctx.peer.empty()) return true;
    auto m = ctx.cluster.membership(ctx.peer, ctx.deadline);
    if (!m) {
        spdlog::warn("Could not read the standby's membership. [node: {}, reason: {}]", ctx.peer, m.error().message);
    }
    return may_degrade(m ? std::optional<pcmk::Membership>{*m} : std::nullopt);
}

}  // namespace

Result<void> maintain_primary(Context& ctx, pg::Session& session, const pg::InstanceStatus& self, AgentState& state) {
    auto rows = pg::replication_peers(session, ctx.deadline);
    if (!rows) return rows.error();
    auto row = find_standby_row(*rows, peer_application_name(ctx));
    std::string desired = desired_sync_names(row, ctx.cfg.rep_mode, peer_application_name(ctx));
    if (desired.empty()) state.sync_target_lsn.clear();  // nothing waits for the standby
    if (state.sync_target_lsn == kSyncTargetPending) {
        if (auto r = capture_sync_floor(ctx, session, state); !r) return r;
    }
    auto judge = [&](const std::optional<pg::ReplicationPeer>& r) {
        return judge_standby(r, ctx.cfg.rep_mode, self.position.lsn, ctx.cfg.max_promotion_lag_bytes,
                             sync_floor(state));
    };
    StandbyVerdict verdict = judge(row);
    // One round trip for the settings and slots this function keeps.
    auto upkeep = read_upkeep(ctx, session);
    if (!upkeep) return upkeep.error();
    const std::string& current = upkeep->synchronous_standby_names;
    if (!current.empty() && desired.empty() && !may_drop_standby(ctx)) {
        spdlog::warn("Standby lost but not fenced: keeping it synchronous, commits wait. [node: {}, state: {}]",
                     ctx.peer, to_string(verdict.state));
        return keep_slots_and_cap(ctx, session, *upkeep);
    }

    // Order matters for zero loss: mark the standby not promotable first, and
    // only then let commits stop waiting for it.
    if (auto r = publish_verdict(ctx, state, verdict); !r) {
        return fail(r.error().kind,
                    "could not publish the standby's state, keeping synchronous "
                    "replication as it is: " +
                        r.error().message);
    }
    if (current != desired) {
        spdlog::info("Changing synchronous standby. [from: '{}', to: '{}', standby_state: {}]", current, desired,
                     to_string(verdict.state));
        // Marked before the switch: until a floor is taken it is not in sync.
        if (!desired.empty()) state.sync_target_lsn = kSyncTargetPending;
        if (auto r = pg::alter_system_set(session, "synchronous_standby_names", desired, ctx.deadline); !r) return r;
        if (!desired.empty()) {
            // Not yet captured (the walsender did not report 'sync' in time):
            // the next monitor takes it, long after the reload.
            verdict = judge(wait_for_sync(ctx, session, state, row, judge));
            if (auto r = publish_verdict(ctx, state, verdict); !r) return r;
        }
    }
    if (verdict.state == RepState::InSync) state.sync_target_lsn.clear();
    return keep_slots_and_cap(ctx, session, *upkeep);
}

Result<void> write_standby_config(Context& ctx) {
    const std::string dir = ctx.backend.host_data_dir();
    auto owner = sys::owner_of(dir);
    if (!owner) return owner.error();
    auto [uid, gid] = *owner;

    pg::StandbySource src;
    src.peer_host = peer_host(ctx);
    src.port = ctx.cfg.pgport;
    src.rep_user = ctx.cfg.rep_user;
    src.application_name = ctx.cfg.application_name;
    src.slot_name = slot_name_for(ctx, ctx.node);
    src.passfile = ctx.backend.passfile_for_server();
    pg::SettingChanges changes = ctx.peer.empty() ? pg::clear_standby_settings() : pg::standby_settings(src);
    // A copy of the primary's auto.conf (pg_basebackup, pg_rewind) may name a
    // synchronous standby; a fresh primary must never wait for one at promotion.
    changes["synchronous_standby_names"] = std::string{};

    const std::string auto_conf = dir + "/postgresql.auto.conf";
    std::string text;
    if (sys::file_exists(auto_conf)) {
        auto content = sys::read_file(auto_conf);
        if (!content) return content.error();
        text = *content;
    }
    std::string updated = pg::apply_auto_conf_changes(text, changes);
    if (updated != text) {
        if (auto r = sys::write_file_atomic(auto_conf, updated, 0600, uid, gid); !r) return r;
    }
    if (auto r = sys::write_file_atomic(dir + "/standby.signal", "", 0600, uid, gid); !r) return r;
    // recovery.signal would make it a one-shot archive recovery, not a standby.
    if (auto r = sys::remove_file(dir + "/recovery.signal"); !r) return r;
    spdlog::info("Configured as standby. [primary: {}, slot: {}, application_name: {}]",
                 ctx.peer.empty() ? "-" : src.peer_host, src.slot_name, src.application_name);
    return ok();
}

}  // namespace pgtwin::agent
