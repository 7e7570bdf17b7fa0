// SPDX-License-Identifier: GPL-2.0-or-later
// promote: only the best candidate, never a second primary, never a stale
// standby (unless force_promotion). The peer is marked not promotable
// before pg_ctl promote; then wait until writable and prepare replication.

#include <functional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/core/text.hpp"

namespace pgtwin::agent {

namespace {

// A write whose failure must not change the action's result: retried, and
// a final failure is logged as an error (write_with_retries); the next
// monitor republishes. Never silently dropped.
void write_logged(Context& ctx, const std::string& what, const std::function<Result<void>()>& write) {
    if (!write_with_retries(ctx, what, write)) spdlog::warn("Continuing without it. [what: {}]", what);
}

Outcome refuse(const std::string& why) {
    spdlog::warn("Refusing promotion. [reason: {}]", why);
    return Outcome::failure(ocf::Status::ErrGeneric, "refusing to promote: " + why);
}

// The members this node's pre-promote notification recorded; nullopt when
// none ran (notify=false, ocf-tester): then only the local checks apply.
std::optional<std::vector<std::string>> recorded_members(Context& ctx) {
    auto text = ctx.cluster.private_attribute(ctx.node, election_attribute(ctx.resource), ctx.deadline);
    if (!text || !text->has_value()) return std::nullopt;
    std::vector<std::string> members;
    std::istringstream in(**text);
    for (std::string n; in >> n;) members.push_back(n);
    return members;
}

// A member's position of this round, polled until it appears or `until` passes.
std::optional<pg::WalPosition> wait_for_walpos(Context& ctx, const std::string& node, const Deadline& until) {
    auto name = attribute_names(ctx.resource).walpos;
    while (true) {
        auto text = ctx.cluster.private_attribute(node, name, ctx.deadline);
        if (text && text->has_value()) return parse_walpos(**text);
        if (until.remaining() <= kElectionPollInterval) break;
        ctx.clock.sleep_for(kElectionPollInterval);
    }
    spdlog::info("No WAL position from an election member; it takes no part. [node: {}]", node);
    return std::nullopt;
}

ElectionPeer election_peer(Context& ctx, const std::string& node, const Deadline& until) {
    auto names = attribute_names(ctx.resource);
    auto state = ctx.cluster.attribute(node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    // Unreadable state: the peer might be the better node, so compare positions.
    ElectionPeer p{node, !state || state_allows_promotion(rep_state_record(*state)), std::nullopt};
    if (p.promotable) p.position = wait_for_walpos(ctx, node, until);
    return p;
}

// The election among this transition's members (see election_winner);
// nullopt when none ran or this node won.
std::optional<LostElection> hold_election(Context& ctx, const pg::InstanceStatus& self) {
    auto members = recorded_members(ctx);
    if (!members) return std::nullopt;
    Deadline until = ctx.deadline.capped(std::min(kElectionWaitCap, ctx.deadline.remaining() / 3));
    std::vector<ElectionPeer> peers;
    for (const auto& node : *members) {
        if (node != ctx.node) peers.push_back(election_peer(ctx, node, until));
    }
    auto winner = election_winner(self.position, peers);
    if (!winner) return std::nullopt;
    LostElection lost{*winner, "", format_walpos(self.position)};
    for (const auto& p : peers) {
        if (p.node == *winner) lost.winner_position = format_walpos(*p.position);
    }
    return lost;
}

RecordedState recorded_state(Context& ctx) {
    auto names = attribute_names(ctx.resource);
    auto text = ctx.cluster.attribute(ctx.node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    if (!text) return {std::nullopt, text.error().message};
    return {rep_state_record(*text), std::nullopt};
}

// Gathers the facts of decide_promotion in the order of its refusals, each
// only while the facts before it allow promotion, and acts on the verdict.
std::optional<Outcome> check_candidate(Context& ctx, const pg::InstanceStatus& self, AgentState& state) {
    auto peer = find_peer_primary(ctx);
    PromotionFacts facts{.peer = ctx.peer,
                         .peer_role = peer.role,
                         .peer_detail = peer.detail,
                         .forced = ctx.cfg.force_promotion,
                         .recorded = std::nullopt,
                         .lost_election = std::nullopt};
    auto decision = decide_promotion(facts);
    if (decision.verdict == PromotionVerdict::Promote) {
        facts.recorded = recorded_state(ctx);
        decision = decide_promotion(facts);
    }
    if (decision.verdict == PromotionVerdict::Promote) {
        facts.lost_election = hold_election(ctx, self);
        decision = decide_promotion(facts);
    }
    switch (decision.verdict) {
        case PromotionVerdict::Promote: return std::nullopt;
        case PromotionVerdict::PromoteForced:
            spdlog::warn("force_promotion=true: skipping the staleness and election checks");
            return std::nullopt;
        case PromotionVerdict::ElectionLost: {
            // Hand the promotion to the better node for the next transition.
            const std::string& winner = facts.lost_election->winner;
            write_logged(ctx, "score of " + ctx.node,
                         [&] { return publish_score(ctx, state, ctx.node, kBootstrapScore); });
            write_logged(ctx, "score of " + winner, [&] { return publish_score(ctx, state, winner, kStandbyScore); });
            return refuse(decision.reason);
        }
        case PromotionVerdict::PeerPrimary:
        case PromotionVerdict::PeerRoleUnknown:
        case PromotionVerdict::StateUnreadable:
        case PromotionVerdict::NotInSync: return refuse(decision.reason);
    }
    return refuse(decision.reason);
}

// Marks the peer not promotable BEFORE this node accepts writes: once it
// does, the peer lacks them, and if this node died right after, the peer
// (still recorded "primary" or "in-sync") would bootstrap on diverged data.
std::optional<Outcome> mark_peer_stale(Context& ctx, AgentState& state) {
    if (ctx.peer.empty()) return std::nullopt;
    auto names = attribute_names(ctx.resource);
    invalidate_published(state);
    auto r = write_with_retries(ctx, "replication state of " + ctx.peer, [&] {
        return publish_attribute(ctx, state, ctx.peer, names.rep_state, to_string(RepState::Disconnected));
    });
    if (r) {
        r = write_with_retries(ctx, "score of " + ctx.peer,
                               [&] { return publish_score(ctx, state, ctx.peer, kNotPromotableScore); });
    }
    if (r) return std::nullopt;
    return refuse("cannot mark peer " + ctx.peer + " not promotable before promoting: " + r.error().message);
}

// pg_ctl promote; -t from the deadline, because pg_ctl's own default (60 s)
// would report a long replay backlog as a failed promotion.
std::optional<Outcome> run_pg_ctl_promote(Context& ctx) {
    Millis left = ctx.deadline.remaining();
    Millis wait = left > kAfterPromoteReserve + kMinPromoteWait ? left - kAfterPromoteReserve : kMinPromoteWait;
    auto res = run_tool(
        ctx, backend::Tool::PgCtl,
        {"promote", "-D", ctx.backend.data_dir_for_tools(), "-w", "-t", std::to_string(wait.count() / 1000)}, left);
    if (!res) return Outcome::failure(res.error(), "pg_ctl promote");
    if (!res->success()) {
        return Outcome::failure(ocf::Status::ErrGeneric, "pg_ctl promote failed: " + last_lines(res->err, 2, "; "));
    }
    return std::nullopt;
}

Result<void> wait_until_writable(Context& ctx) {
    auto status = poll_local(ctx,
                             {.interval = kPromotePollInterval,
                              .timeout_reason = "instance did not become writable before the promote timeout",
                              .connect_errors = ConnectErrors::Ignore},
                             [](const pg::InstanceStatus& st) { return !st.in_recovery; });
    if (!status) return status.error();
    return ok();
}

void after_promotion(Context& ctx, AgentState& state) {
    // The session's statement_timeout is the rest of the operation, not the
    // connect cap: a CHECKPOINT on a busy primary takes longer than 5 s.
    pg::ConnParams params = ctx.backend.local_conn();
    params.statement_timeout = ctx.deadline.remaining();
    auto s = ctx.connector.connect(params, ctx.deadline.capped(kLocalCap));
    if (s) {
        // pg_rewind on the old primary reads our timeline from pg_control,
        // which only a checkpoint after promotion updates.
        if (auto r = pg::checkpoint(**s, ctx.deadline); !r) {
            spdlog::warn("Checkpoint after promotion failed. [reason: {}]", r.error().message);
        }
        warn_unless_ok(ensure_slots_and_cap(ctx, **s), "prepare the peer's slot");
    }
    auto names = attribute_names(ctx.resource);
    invalidate_published(state);
    write_logged(ctx, "replication state of " + ctx.node, [&] {
        return publish_attribute(ctx, state, ctx.node, names.rep_state, to_string(RepState::Primary));
    });
    write_logged(ctx, "score of " + ctx.node, [&] { return publish_score(ctx, state, ctx.node, kPrimaryScore); });
}

}  // namespace

Outcome action_promote(Context& ctx) {
    // A half-made copy never runs read-write, whatever its rep-state says.
    if (has_marker(ctx, DataMarker::Clone) || live_clone_job(ctx)) {
        return refuse("a clone of " + ctx.peer + " is in progress on this node");
    }
    auto s = connect_local(ctx, kLocalCap);
    if (!s) {
        return Outcome::failure(ocf::Status::ErrGeneric,
                                "cannot promote: PostgreSQL does not answer: " + s.error().message);
    }
    auto self = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
    if (!self) return Outcome::failure(ocf::Status::ErrGeneric, "cannot promote: " + self.error().message);
    AgentState state = load_state(ctx);
    if (self->in_recovery) {
        auto refusal = check_candidate(ctx, *self, state);
        if (!refusal) refusal = mark_peer_stale(ctx, state);
        if (refusal) {
            save_state(ctx, state);
            return *refusal;
        }
        spdlog::info("Promoting instance. [node: {}, position: {}]", ctx.node, format_walpos(self->position));
        if (auto failed = run_pg_ctl_promote(ctx)) {
            save_state(ctx, state);
            return *failed;
        }
        if (auto r = wait_until_writable(ctx); !r) return Outcome::failure(ocf::Status::ErrGeneric, r.error().message);
    } else if (auto refusal = mark_peer_stale(ctx, state)) {
        // Already writable (a repeated promote): too late to refuse; logged.
        spdlog::error("Peer not marked stale after promotion. [reason: {}]", refusal->reason);
    }
    after_promotion(ctx, state);
    save_state(ctx, state);
    spdlog::info("Instance is primary. [node: {}]", ctx.node);
    return Outcome::success();
}

}  // namespace pgtwin::agent
