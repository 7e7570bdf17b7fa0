// promote: only the best candidate, never a second primary, never a stale
// standby (unless force_promotion). Then pg_ctl promote, wait until
// writable, and prepare replication for the peer.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/support.hpp"

namespace pgtwin::agent {

namespace {

constexpr Millis kLocalCap{5000};
constexpr Millis kPollInterval{200};

Outcome refuse(const std::string& why) {
    spdlog::warn("Refusing promotion. [reason: {}]", why);
    return {ocf::Status::ErrGeneric, "refusing to promote: " + why};
}

// The election: this node must hold the newest data of all candidates that
// published a position in pre-promote. Without notify data (ocf-tester, a
// peer that is down) only the local checks apply.
std::optional<Outcome> check_election(Context& ctx, const pg::InstanceStatus& self, AgentState& state) {
    if (ctx.peer.empty()) return std::nullopt;
    auto names = attribute_names(ctx.resource);
    auto text = ctx.cluster.private_attribute(ctx.peer, names.walpos, ctx.deadline);
    if (!text || !text->has_value()) return std::nullopt;
    auto theirs = parse_walpos(**text);
    if (!theirs) return std::nullopt;
    if (better_candidates(self.position, {{ctx.peer, *theirs}}).empty()) return std::nullopt;
    // A peer that may not be promoted cannot win the election (a diverged
    // old primary can even show a newer timeline it failed to follow).
    auto peer_state = ctx.cluster.attribute(ctx.peer, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    if (peer_state && !state_allows_promotion(*peer_state)) return std::nullopt;
    // Hand the promotion to the better node for the next transition.
    (void)publish_score(ctx, state, ctx.node, kBootstrapScore);
    (void)publish_score(ctx, state, ctx.peer, kStandbyScore);
    return refuse("peer " + ctx.peer + " has newer data (" + format_walpos(*theirs) + ") than this node (" +
                  format_walpos(self.position) + ")");
}

std::optional<Outcome> check_candidate(Context& ctx, const pg::InstanceStatus& self, AgentState& state) {
    if (auto peer = find_peer_primary(ctx)) {
        return refuse("peer " + ctx.peer + " is a running primary; two primaries are never allowed");
    }
    if (ctx.cfg.force_promotion) {
        spdlog::warn("force_promotion=true: skipping the staleness and election checks");
        return std::nullopt;
    }
    auto names = attribute_names(ctx.resource);
    auto rep_state = ctx.cluster.attribute(ctx.node, names.rep_state, pcmk::Lifetime::Forever, ctx.deadline);
    if (!rep_state) return refuse("cannot read this node's replication state: " + rep_state.error().message);
    if (!state_allows_promotion(*rep_state)) {
        return refuse("this standby was not in sync when last seen by the primary (state: " + **rep_state +
                      "); set force_promotion=true to accept losing data");
    }
    return check_election(ctx, self, state);
}

Result<void> wait_until_writable(Context& ctx) {
    while (true) {
        auto s = connect_local(ctx, kLocalCap);
        if (s) {
            auto st = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
            if (st && !st->in_recovery) return ok();
        }
        if (ctx.deadline.remaining() <= kPollInterval) {
            return fail(ErrorKind::Timeout, "instance did not become writable before the promote timeout");
        }
        ctx.clock.sleep_for(kPollInterval);
    }
}

void after_promotion(Context& ctx, AgentState& state) {
    auto s = connect_local(ctx, kLocalCap);
    if (s) {
        // pg_rewind on the old primary reads our timeline from pg_control,
        // which only a checkpoint after promotion updates.
        if (auto r = pg::checkpoint(**s, ctx.deadline); !r) {
            spdlog::warn("Checkpoint after promotion failed. [reason: {}]", r.error().message);
        }
        if (auto r = ensure_slots_and_cap(ctx, **s); !r) {
            spdlog::warn("Could not prepare the peer's slot. [reason: {}]", r.error().message);
        }
    }
    auto names = attribute_names(ctx.resource);
    invalidate_published(state);
    (void)publish_attribute(ctx, state, ctx.node, names.rep_state, kStatePrimary);
    (void)publish_score(ctx, state, ctx.node, kPrimaryScore);
    if (!ctx.peer.empty()) {
        // The peer has none of our new writes until it streams from us.
        (void)publish_attribute(ctx, state, ctx.peer, names.rep_state, kStateDisconnected);
        (void)publish_score(ctx, state, ctx.peer, kNotPromotableScore);
    }
}

}  // namespace

Outcome action_promote(Context& ctx) {
    auto s = connect_local(ctx, kLocalCap);
    if (!s) return {ocf::Status::ErrGeneric, "cannot promote: PostgreSQL does not answer: " + s.error().message};
    auto self = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
    if (!self) return {ocf::Status::ErrGeneric, "cannot promote: " + self.error().message};
    AgentState state = load_state(ctx);
    if (self->in_recovery) {
        if (auto refusal = check_candidate(ctx, *self, state)) {
            save_state(ctx, state);
            return *refusal;
        }
        spdlog::info("Promoting instance. [node: {}, position: {}]", ctx.node, format_walpos(self->position));
        auto res = run_tool(ctx, backend::Tool::PgCtl, {"promote", "-D", ctx.backend.data_dir_for_tools(), "-w"},
                            ctx.deadline.remaining());
        if (!res) return {ocf::status_for(res.error().kind), "pg_ctl promote: " + res.error().message};
        if (!res->success()) return {ocf::Status::ErrGeneric, "pg_ctl promote failed: " + tail_lines(res->err, 2)};
        if (auto r = wait_until_writable(ctx); !r) return {ocf::Status::ErrGeneric, r.error().message};
    }
    after_promotion(ctx, state);
    save_state(ctx, state);
    spdlog::info("Instance is primary. [node: {}]", ctx.node);
    return {ocf::Status::Success, ""};
}

}  // namespace pgtwin::agent
