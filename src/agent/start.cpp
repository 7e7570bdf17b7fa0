// SPDX-License-Identifier: GPL-2.0-or-later
// start: always as a standby. Empty data is cloned from the peer; data that
// may have diverged (a former primary, an older timeline) is rewound or
// rebuilt before PostgreSQL runs, so it never runs read-write.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/rebuild.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/timing.hpp"

namespace pgtwin::agent {

namespace {

// How this start's clone ended: no clone, the job finished (PostgreSQL
// runs), or the job goes on after start returns.
enum class CloneRun { None, Finished, Continues };

// The clone job's answer (hand_clone_to_job: finished or not) as a CloneRun.
Result<CloneRun> follow_clone_job(Context& ctx) {
    auto finished = hand_clone_to_job(ctx);
    if (!finished) return finished.error();
    return *finished ? CloneRun::Finished : CloneRun::Continues;
}

// Whether some node of node_list recorded data (an unreadable record counts
// as recorded); stops at the first.
bool data_recorded(Context& ctx) {
    auto names = attribute_names(ctx.resource);
    for (const auto& node : ctx.cfg.node_list) {
        auto id = ctx.cluster.attribute(node, names.data_id, pcmk::Lifetime::Forever, ctx.deadline);
        if (!id || id->has_value()) return true;
    }
    return false;
}

// The initialise rule (decide_initialise); the records are read only when
// the rest allows it.
bool may_initialise(Context& ctx) {
    InitialiseFacts facts{.mode_allows = ctx.backend.may_initialise_cluster(),
                          .first_node = ctx.cfg.node_list.empty() ? std::string() : ctx.cfg.node_list.front(),
                          .node = ctx.node,
                          .data_recorded = std::nullopt};
    auto verdict = decide_initialise(facts);
    if (verdict == InitialiseVerdict::RecordsUnread) {
        facts.data_recorded = data_recorded(ctx);
        verdict = decide_initialise(facts);
    }
    return verdict == InitialiseVerdict::Initialise;
}

// A clone must not keep this node's recorded state (say "primary", from
// before its data was lost): it gets what its data earns, written before the
// copy starts so that no failure in between leaves the old state behind.
Result<CloneRun> clone_with_state(Context& ctx) {
    auto names = attribute_names(ctx.resource);
    PeerRole source_role = find_peer_primary(ctx).role;
    std::optional<RepStateRecord> source_state;
    if (source_role == PeerRole::NotPrimary) {
        auto st = ctx.cluster.attribute(ctx.peer, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
        if (!st) {
            return fail(st.error().kind,
                        "cannot read the replication state of " + ctx.peer + ": " + st.error().message);
        }
        source_state = rep_state_record(*st);
    }
    std::string mine = to_string(rep_state_after_clone(source_role, source_state));
    auto r = write_with_retries(ctx, "replication state of " + ctx.node, [&] {
        return ctx.cluster.set_attribute(ctx.node, names.rep_state, mine, pcmk::Lifetime::Forever, ctx.deadline);
    });
    if (!r) {
        return fail(r.error().kind, "cannot record this node's replication state before cloning: " + r.error().message);
    }
    spdlog::info("Replication state recorded for the clone. [node: {}, state: {}]", ctx.node, mine);
    // The clone runs in a job that outlives this action: no start timeout
    // fits every database size.
    return follow_clone_job(ctx);
}

// How an empty data directory was filled: cloned (and how the clone ended),
// or initialised as a new cluster.
struct EmptyFilled {
    bool initialised = false;
    CloneRun clone = CloneRun::None;
};

Result<EmptyFilled> initialise_empty(Context& ctx) {
    if (auto r = set_aside_data_dir(ctx); !r) return r.error();
    Millis wait = std::min(kPeerWaitCap, ctx.deadline.remaining() / 2);
    auto source = wait_for_peer(ctx, wait);
    if (source) {
        auto run = clone_with_state(ctx);
        if (!run) return run.error();
        return EmptyFilled{.initialised = false, .clone = *run};
    }
    if (may_initialise(ctx)) {
        spdlog::info("No peer has data: initialising a new cluster. [node: {}]", ctx.node);
        if (auto r = ctx.backend.initdb(ctx.deadline); !r) return r.error();
        return EmptyFilled{.initialised = true, .clone = CloneRun::None};
    }
    return fail(ErrorKind::Generic, "data directory " + ctx.backend.host_data_dir() +
                                        " is empty and no peer answered to clone it from (peer: " +
                                        (ctx.peer.empty() ? std::string("none") : ctx.peer) + ": " +
                                        source.error().message + ")");
}

// Rewinds this data onto the peer's timeline, or clones it when that fails
// (or is off); says whether and how a clone ran.
Result<CloneRun> rejoin(Context& ctx) {
    if (ctx.cfg.auto_rewind) {
        auto r = rewind_from_peer(ctx);
        if (r) return CloneRun::None;
        spdlog::warn("pg_rewind failed. [reason: {}]", r.error().message);
        if (!ctx.cfg.auto_basebackup) return r.error();
    } else if (!ctx.cfg.auto_basebackup) {
        return fail(ErrorKind::Generic, "data may have diverged from primary " + ctx.peer +
                                            " and both auto_rewind and auto_basebackup are off");
    }
    if (auto r = set_aside_data_dir(ctx); !r) return r.error();
    return clone_with_state(ctx);
}

// A directory left by an interrupted clone or rewind, or marked for rebuild,
// is never started as it is: it is replaced by a fresh clone from the peer
// (the old data kept per the backup rules). Not rewound again: PostgreSQL
// documents a target of an unfinished pg_rewind as unrecoverable, and a second
// run can say "no rewind required" over half-copied files. Without a peer it
// stays untouched and start fails. Says how the clone ended.
Result<CloneRun> repair_untrusted(Context& ctx, DataTrust trust) {
    const std::string dir = ctx.backend.host_data_dir();
    spdlog::warn("Data directory cannot be started as it is. [pgdata: {}, reason: {}]", dir, describe(trust));
    bool keeps_data = trust == DataTrust::NeedsRebuild || trust == DataTrust::PartialRewind;
    if (keeps_data && !ctx.cfg.auto_basebackup) {
        return fail(ErrorKind::Generic, "data directory " + dir + " is " + describe(trust) +
                                            " and auto_basebackup is off: rebuild it by hand");
    }
    Millis wait = std::min(kPeerWaitCap, ctx.deadline.remaining() / 2);
    if (auto source = wait_for_peer(ctx, wait); !source) {
        return fail(ErrorKind::Generic, "data directory " + dir + " is " + describe(trust) +
                                            " and no peer answered to repair it from: " + source.error().message);
    }
    Result<void> r = trust == DataTrust::PartialClone ? discard_partial_clone(ctx) : set_aside_data_dir(ctx);
    if (!r) return r.error();
    return clone_with_state(ctx);
}

// What preparing the data directory found: whether it was a cleanly stopped
// primary (a new cluster counts as one), the peer's role, and how a clone
// made on the way ended.
struct PreparedData {
    bool was_clean_primary = false;
    PeerProbe peer;
    CloneRun clone = CloneRun::None;
};

// Prepares the data directory.
Result<PreparedData> prepare_data(Context& ctx) {
    if (DataTrust trust = data_trust(ctx); trust != DataTrust::Trusted) {
        auto run = repair_untrusted(ctx, trust);
        if (!run) return run.error();
        return PreparedData{false, find_peer_primary(ctx), *run};
    }
    if (!data_present(ctx)) {
        auto filled = initialise_empty(ctx);
        if (!filled) return filled.error();
        if (filled->initialised) return PreparedData{true, PeerProbe{}, CloneRun::None};
        return PreparedData{false, find_peer_primary(ctx), filled->clone};
    }
    auto cd = read_controldata(ctx);
    if (!cd) return cd.error();
    PreparedData prepared{cd->state == pg::ClusterState::ShutDown, find_peer_primary(ctx), CloneRun::None};
    const auto& peer = prepared.peer;
    const auto& primary = peer.primary;
    if (peer.role == PeerRole::Unknown && decide_rejoin_role_unknown(*cd) == RejoinAction::Refuse) {
        return fail(ErrorKind::Generic, "peer " + ctx.peer + " answers but its role cannot be read (" + peer.detail +
                                            "); this former primary may have diverged from it, so it does not start");
    }
    switch (decide_rejoin(*cd, primary, backup_label_present(ctx) ? BackupLabel::Present : BackupLabel::Absent)) {
        case RejoinAction::Refuse:
            return fail(ErrorKind::Generic, "local data belongs to another cluster (system identifier " +
                                                cd->system_identifier + ", primary " + ctx.peer + " has " +
                                                primary->system_identifier + ")");
        case RejoinAction::Rewind: {
            auto run = rejoin(ctx);
            if (!run) return run.error();
            prepared.clone = *run;
            return prepared;
        }
        case RejoinAction::StartAsStandby: return prepared;
    }
    return prepared;
}

Result<pg::InstanceStatus> wait_until_answering(Context& ctx) {
    return poll_local(ctx,
                      {.interval = kStartPollInterval,
                       .timeout_reason = "PostgreSQL did not accept connections before the start timeout",
                       .connect_errors = ConnectErrors::Report},
                      [](const pg::InstanceStatus&) { return true; });
}

void publish_after_start(Context& ctx, const pg::InstanceStatus& st, const PreparedData& prepared) {
    AgentState state = load_state(ctx);
    invalidate_published(state);
    state.replication_failures = 0;
    auto names = attribute_names(ctx.resource);
    warn_unless_ok(publish_attribute(ctx, state, ctx.node, names.data_id, st.system_identifier),
                   "publish the data directory's identity");
    // A peer whose role is unknown may be a primary: no bootstrap score.
    if (!prepared.peer.possibly_primary()) {
        auto rep_state = ctx.cluster.attribute(ctx.node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
        auto score = bootstrap_score({.rep_state = rep_state_record(rep_state ? *rep_state : std::nullopt),
                                      .was_clean_primary = prepared.was_clean_primary,
                                      .forced = ctx.cfg.force_promotion});
        if (score) warn_unless_ok(publish_score(ctx, state, ctx.node, *score), "publish the bootstrap score");
    }
    save_state(ctx, state);
}

}  // namespace

Outcome action_start(Context& ctx) {
    auto live = ctx.backend.liveness(ctx.deadline.capped(kLocalCap));
    if (!live) return Outcome::failure(live.error(), "cannot tell whether PostgreSQL runs");
    if (*live == backend::Liveness::Running) {
        auto st = wait_until_answering(ctx);
        if (!st) return Outcome::failure(st.error(), "PostgreSQL runs but does not answer");
        if (!st->in_recovery) spdlog::warn("start found a running primary; leaving it to Pacemaker to demote");
        return Outcome::success();
    }
    PreparedData prepared;
    if (live_clone_job(ctx)) {
        // Started again while a clone job runs: follow it, never a second one.
        auto run = follow_clone_job(ctx);
        if (!run) return Outcome::failure(run.error(), "start failed");
        prepared.clone = *run;
        prepared.peer = find_peer_primary(ctx);
    } else if (auto p = prepare_data(ctx); p) {
        prepared = *p;
    } else {
        return Outcome::failure(p.error(), "start failed");
    }
    const PeerProbe& peer = prepared.peer;
    // Monitor reports the node running, not promotable, while the job lives.
    if (prepared.clone == CloneRun::Continues) return Outcome::success();
    if (prepared.clone == CloneRun::None) {
        // A job recorded by an earlier life of this instance no longer
        // describes this directory: settle it so monitor does not judge by it.
        warn_unless_ok(stop_clone_job(ctx, ctx.deadline), "settle the clone job of an earlier start");
        if (auto r = write_standby_config(ctx); !r) {
            return Outcome::failure(r.error(), "cannot write the standby configuration");
        }
        spdlog::info("Starting PostgreSQL as a standby. [node: {}, primary: {}]", ctx.node,
                     peer.role == PeerRole::Primary ? ctx.peer : std::string("none"));
        if (auto r = ctx.backend.start(ctx.deadline); !r) {
            return Outcome::failure(r.error(), "PostgreSQL did not start");
        }
    }
    auto st = wait_until_answering(ctx);
    if (!st) return Outcome::failure(st.error(), "PostgreSQL started but does not answer");
    publish_after_start(ctx, *st, prepared);
    return Outcome::success();
}

}  // namespace pgtwin::agent
