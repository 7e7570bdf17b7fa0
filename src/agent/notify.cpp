// SPDX-License-Identifier: GPL-2.0-or-later
// notify: pre-promote takes this node's part in the election (its WAL
// position of this round, and the members promote must wait for);
// post-promote cleans up.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/support.hpp"

namespace pgtwin::agent {

namespace {

constexpr Millis kLocalCap{5000};

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

}  // namespace

Outcome action_notify(Context& ctx) {
    const auto& n = ctx.notify;
    spdlog::debug("Notification. [type: {}, operation: {}]", n.type, n.operation);
    if (n.type == "pre" && n.operation == "promote") {
        pre_promote(ctx);
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
