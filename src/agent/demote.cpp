// SPDX-License-Identifier: GPL-2.0-or-later
// demote: stop, then start again as a standby of the peer (never a standby
// of itself: primary_conninfo always names the other node), unless the same
// transition stops this instance anyway (decisions.hpp, after_demote).

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"

namespace pgtwin::agent {

Outcome action_demote(Context& ctx) {
    spdlog::info("Demoting instance. [node: {}, new_primary: {}]", ctx.node, ctx.peer);
    Outcome stopped = action_stop(ctx);
    if (stopped.status != ocf::Status::Success) return stopped;
    if (after_demote(ctx.notify, ctx.node) == AfterDemote::StayStopped) {
        spdlog::info("Left stopped: this transition stops the instance. [node: {}]", ctx.node);
        return stopped;
    }
    Outcome started = action_start(ctx);
    if (started.status != ocf::Status::Success) {
        started.reason = "demote could not restart as a standby: " + started.reason;
    }
    return started;
}

}  // namespace pgtwin::agent
