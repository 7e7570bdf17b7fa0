// SPDX-License-Identifier: GPL-2.0-or-later
// monitor: reports the real role (0 standby, 8 primary, 7 cleanly stopped,
// 9 crashed primary, 1 otherwise; a probe reports any stopped instance 7)
// and, in recurring monitors, keeps
// replication, scores and synchronous replication in order.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/safety_snapshot.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/sys/detach.hpp"

namespace pgtwin::agent {

namespace {

// The standby asks the primary how it sees it, so a caught-up standby is
// promotable at its own next monitor rather than the primary's.
void refresh_own_score(Context& ctx, AgentState& state) {
    auto session = connect_peer(ctx, kPeerCap);
    if (!session) return;
    auto primary = pg::instance_status(**session, ctx.deadline.capped(kPeerCap));
    if (!primary || primary->in_recovery) return;
    auto rows = pg::replication_peers(**session, ctx.deadline.capped(kPeerCap));
    if (!rows) return;
    auto me = find_standby_row(*rows, ctx.cfg.application_name);
    auto verdict = judge_standby(me, ctx.cfg.rep_mode, primary->position.lsn, ctx.cfg.max_promotion_lag_bytes);
    if (verdict.score <= 0) return;
    // Only raise the score here, and only from the state the primary wrote:
    // the primary is the only writer of rep-state (a write of ours could land
    // after its "disconnected"), and lowering is its job, ordered with the
    // change of synchronous replication.
    auto names = attribute_names(ctx.resource);
    auto recorded = ctx.cluster.attribute(ctx.node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    if (!recorded || !*recorded || parse_rep_state(**recorded) != RepState::InSync) return;
    warn_unless_ok(publish_score(ctx, state, ctx.node, verdict.score), "raise this node's promotion score");
}

// With no primary anywhere, make sure some candidate has a positive score.
void publish_bootstrap_score(Context& ctx, AgentState& state) {
    auto names = attribute_names(ctx.resource);
    auto rep_state = ctx.cluster.attribute(ctx.node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    if (!rep_state) return;
    auto score = bootstrap_score(
        {.rep_state = rep_state_record(*rep_state), .was_clean_primary = false, .forced = ctx.cfg.force_promotion});
    if (score) warn_unless_ok(publish_score(ctx, state, ctx.node, *score), "publish the bootstrap score");
}

// Remembers the standby's WAL position; true when it moved on since the last
// monitor. After a restart the WAL receiver only starts once local WAL is
// replayed: a standby that still replays is catching up, not failing.
bool replay_progressed(AgentState& state, pg::Lsn now) {
    auto before = pg::Lsn::parse(state.replay_lsn);
    state.replay_lsn = now.str();
    return before && now > *before;
}

// Asks the primary whether this standby's slot still keeps the WAL it needs
// (privilege-free: pg_replication_slots). Unknown counts as kept.
bool wal_gone_on_primary(Context& ctx, pg::Lsn needed) {
    auto session = connect_peer(ctx, kPeerCap);
    if (!session) return false;
    auto gone = pg::slot_lacks_wal(**session, slot_name_for(ctx, ctx.node), needed, ctx.deadline.capped(kPeerCap));
    if (!gone) {
        spdlog::warn("Cannot check the standby's slot on the primary. [reason: {}]", gone.error().message);
        return false;
    }
    return gone->value_or(false);
}

// A standby that cannot stream because its WAL is gone would restart-loop:
// it is marked so that the next start rebuilds it (old data kept).
Outcome fail_not_streaming(Context& ctx, pg::Lsn position) {
    if (wal_gone_on_primary(ctx, position)) {
        if (auto r = set_marker(ctx, DataMarker::Rebuild); !r) spdlog::error("{}", r.error().message);
        spdlog::error("The WAL this standby needs is gone on the primary: marked for rebuild. [primary: {}, lsn: {}]",
                      ctx.peer, position.str());
        return Outcome::failure(ocf::Status::ErrGeneric, "the WAL this standby needs (from " + position.str() +
                                                             ") is gone on primary " + ctx.peer +
                                                             ": the next start rebuilds it with pg_basebackup");
    }
    // Failing the monitor makes Pacemaker restart the standby, and start
    // rejoins it (pg_rewind / pg_basebackup) now that a primary is reachable.
    return Outcome::failure(ocf::Status::ErrGeneric, "standby has not streamed from primary " + ctx.peer + " for " +
                                                         std::to_string(ctx.cfg.replication_failure_threshold) +
                                                         " monitors");
}

// Carries out judge_streaming's verdict.
Outcome act_on_streaming(Context& ctx, const pg::InstanceStatus& status, const StreamingJudgement& judged,
                         AgentState& state) {
    switch (judged.verdict) {
        case StreamingVerdict::Streaming: {
            // Ask the primary only while our score is not yet known promotable:
            // a scram-authenticated TCP connection is most of a monitor's cost.
            auto mine = state.published.find("score:" + ctx.node);
            if (mine == state.published.end() || mine->second != std::to_string(kStandbyScore)) {
                refresh_own_score(ctx, state);
            }
            return Outcome::success();
        }
        case StreamingVerdict::NoPrimary:
            // Nothing to stream from: not this standby's fault.
            publish_bootstrap_score(ctx, state);
            return Outcome::success();
        case StreamingVerdict::CatchingUp:
            spdlog::info("Standby is replaying WAL, catching up. [lsn: {}]", status.position.lsn.str());
            return Outcome::success();
        case StreamingVerdict::NotStreaming:
        case StreamingVerdict::ThresholdReached: break;
    }
    spdlog::warn("Standby is not streaming from the primary. [primary: {}, failures: {}, threshold: {}]", ctx.peer,
                 judged.counted, ctx.cfg.replication_failure_threshold);
    if (judged.verdict == StreamingVerdict::NotStreaming) return Outcome::success();
    return fail_not_streaming(ctx, status.position.lsn);
}

Outcome check_standby(Context& ctx, pg::Session& session, const pg::InstanceStatus& status, AgentState& state) {
    bool progressed = replay_progressed(state, status.position.lsn);
    auto receiver = pg::wal_receiver(session, ctx.deadline.capped(kMonitorLocalCap));
    if (!receiver) {
        return Outcome::failure(ocf::Status::ErrGeneric, "cannot read the WAL receiver: " + receiver.error().message);
    }
    StreamingFacts facts{.streaming = *receiver && (*receiver)->status == "streaming",
                         .primary_possible = std::nullopt,
                         .replay_progressed = progressed,
                         .failures = state.replication_failures,
                         .threshold = ctx.cfg.replication_failure_threshold};
    // The peer is probed only when the standby does not stream. A peer that
    // answers with an unknown role counts as a primary: a failed status
    // query must not make a standby that streams nothing look healthy.
    if (!facts.streaming) facts.primary_possible = find_peer_primary(ctx).possibly_primary();
    auto judged = judge_streaming(facts);
    state.replication_failures = judged.kept;
    return act_on_streaming(ctx, status, judged, state);
}

// While a clone job lives the node runs, unpromoted and never promotable;
// a dead or failed job is a failure Pacemaker recovers (start re-clones).
std::optional<Outcome> check_clone_job(Context& ctx) {
    auto job = load_clone_state(ctx);
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    bool alive = job && clone_job_alive(*job, probe);
    auto outcome = decide_clone_monitor(
        {.job = job, .alive = alive, .clone_marker = has_marker(ctx, DataMarker::Clone), .probe = ctx.meta.is_probe()});
    if (outcome && alive && !ctx.meta.is_probe()) {
        AgentState state = load_state(ctx);
        warn_unless_ok(publish_score(ctx, state, ctx.node, kNotPromotableScore),
                       "mark this node not promotable while its clone job runs");
        save_state(ctx, state);
    }
    return outcome;
}

}  // namespace

Outcome action_monitor(Context& ctx) {
    if (auto job = check_clone_job(ctx)) return *job;
    MonitorFacts facts;
    facts.data_present = data_present(ctx);
    std::unique_ptr<pg::Session> session;
    std::optional<pg::InstanceStatus> status;
    // SQL first: an answer proves the instance runs, and asking the backend
    // (a `podman inspect` costs ~30 ms) is only needed when it does not.
    if (auto s = connect_local(ctx, kMonitorLocalCap)) {
        auto st = pg::instance_status(**s, ctx.deadline.capped(kMonitorLocalCap));
        if (st) {
            status = *st;
            facts.in_recovery = st->in_recovery;
            facts.liveness = backend::Liveness::Running;
            session = std::move(*s);
        }
    }
    if (!facts.in_recovery) {
        auto live = ctx.backend.liveness(ctx.deadline.capped(kMonitorLocalCap));
        if (!live) return Outcome::failure(live.error());
        facts.liveness = *live;
    }
    if (!facts.in_recovery && facts.liveness == backend::Liveness::Stopped && facts.data_present) {
        DataTrust trust = data_trust(ctx);
        facts.untrusted = trust != DataTrust::Trusted;
        facts.backup_label = backup_label_present(ctx);
        if (facts.untrusted) {
            spdlog::info("Data directory is {}: start will repair it.", describe(trust));
        } else if (auto cd = read_controldata(ctx)) {
            facts.control_state = cd->state;
        } else {
            spdlog::warn("Cannot read control data. [reason: {}]", cd.error().message);
        }
    }
    facts.probe = ctx.meta.is_probe();
    Outcome outcome = classify_instance(facts);
    if (facts.probe) {
        MonitorFacts as_recurring = facts;
        as_recurring.probe = false;
        if (outcome.status == ocf::Status::NotRunning && classify_instance(as_recurring).status != outcome.status) {
            spdlog::warn(
                "PostgreSQL is down without a clean shutdown (node rebooted or instance crashed); "
                "reported stopped, start will recover it.");
        }
        return outcome;
    }
    // A full data file system stops a primary and fails a promote: the
    // agent's own snapshots must not be what fills it.
    keep_free_space(ctx);
    if (!session) return outcome;

    AgentState state = load_state(ctx);
    if (outcome.status == ocf::Status::RunningPromoted) {
        if (auto r = maintain_primary(ctx, *session, *status, state); !r) {
            spdlog::error("Primary maintenance failed. [reason: {}]", r.error().message);
        }
    } else if (outcome.status == ocf::Status::Success) {
        outcome = check_standby(ctx, *session, *status, state);
    }
    save_state(ctx, state);
    return outcome;
}

}  // namespace pgtwin::agent
