// SPDX-License-Identifier: GPL-2.0-or-later
// notify: pre-promote takes this node's part in the election (its WAL
// position of this round, and the members promote must wait for);
// post-promote cleans up; post-stop of the peer lets a primary stop waiting
// for it at once.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/timing.hpp"

namespace pgtwin::agent {

namespace {

void log_failure(const Result<void>& r, const char* what) {
    if (!r) spdlog::warn("{} failed. [reason: {}]", what, r.error().message);
}

// The old position goes first, whatever follows: a value from an earlier
// round (an aborted transition, a node that has stopped since) must never
// be read as this round's. Only a running instance publishes a new one.
void pre_promote(Context& ctx) {
    auto names = attribute_names(ctx.resource);
    log_failure(ctx.cluster.delete_private_attribute(ctx.node, names.walpos, ctx.deadline),
                "Deleting the old WAL position");
    std::string members;
    for (const auto& node : election_members(ctx.notify)) members += (members.empty() ? "" : " ") + node;
    auto members_name = election_attribute(ctx.resource);
    log_failure(members.empty() ? ctx.cluster.delete_private_attribute(ctx.node, members_name, ctx.deadline)
                                : ctx.cluster.set_private_attribute(ctx.node, members_name, members, ctx.deadline),
                "Recording the election members");
    auto s = connect_local(ctx, kLocalCap);
    if (!s) return;  // not running: takes no part in the election
    auto st = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
    if (!st) return;
    std::string pos = format_walpos(st->position);
    auto r = ctx.cluster.set_private_attribute(ctx.node, names.walpos, pos, ctx.deadline);
    log_failure(r, "Publishing the WAL position");
    if (r) spdlog::info("WAL position published for the election. [node: {}, position: {}]", ctx.node, pos);
}

// The peer's instance has stopped (a stop, or one implied by fencing after a
// node loss or a partition). A connection that died without a reset keeps
// its walsender listed as the synchronous standby until wal_sender_timeout
// (60 s by default), every commit waiting on it. A running primary ends that
// walsender and runs its maintenance now: it publishes the peer as not
// promotable and then drops it from synchronous_standby_names, under the
// same rule as the monitor (only when Pacemaker shows the peer cleanly down).
void post_stop(Context& ctx) {
    const auto& stopped = ctx.notify.stop;
    if (ctx.peer.empty() || std::find(stopped.begin(), stopped.end(), ctx.peer) == stopped.end()) return;
    auto s = connect_local(ctx, kLocalCap);
    if (!s) return;
    auto st = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
    if (!st || st->in_recovery) return;
    auto ended = pg::end_walsenders(**s, peer_application_name(ctx), ctx.deadline.capped(kLocalCap));
    if (!ended) {
        spdlog::warn("Could not end the stopped standby's walsender. [node: {}, reason: {}]", ctx.peer,
                     ended.error().message);
    } else if (*ended > 0) {
        spdlog::info("Ended the walsender of the stopped standby. [node: {}, walsenders: {}]", ctx.peer, *ended);
    }
    AgentState state = load_state(ctx);
    log_failure(maintain_primary(ctx, **s, *st, state), "Primary maintenance after the standby stopped");
    save_state(ctx, state);
}

}  // namespace

Outcome action_notify(Context& ctx) {
    const auto& n = ctx.notify;
    spdlog::debug("Notification. [type: {}, operation: {}]", n.type, n.operation);
    if (n.type == "pre" && n.operation == "promote") {
        pre_promote(ctx);
    } else if (n.type == "post" && n.operation == "stop") {
        post_stop(ctx);
    } else if (n.type == "post" && n.operation == "promote") {
        auto names = attribute_names(ctx.resource);
        log_failure(ctx.cluster.delete_private_attribute(ctx.node, names.walpos, ctx.deadline),
                    "Deleting the WAL position");
        log_failure(ctx.cluster.delete_private_attribute(ctx.node, election_attribute(ctx.resource), ctx.deadline),
                    "Deleting the election members");
    }
    return Outcome::success();
}

}  // namespace pgtwin::agent
