// SPDX-License-Identifier: GPL-2.0-or-later
// stop: fast shutdown, escalating to immediate near the deadline (in the
// backend). A crashed instance is simply not running: stop succeeds and its
// data stays for a safe restart as a standby.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/timing.hpp"

namespace pgtwin::agent {

Outcome action_stop(Context& ctx) {
    // The clone job first: it may be about to start PostgreSQL. Its clone
    // marker stays, so the next start clones again.
    if (auto r = stop_clone_job(ctx, ctx.deadline.shortened(kStopReportMargin)); !r) {
        return Outcome::failure(r.error(), "stop failed");
    }
    auto r = ctx.backend.stop(backend::StopMode::Fast, ctx.deadline.shortened(kStopReportMargin));
    if (!r) return Outcome::failure(r.error(), "stop failed");
    AgentState state = load_state(ctx);
    invalidate_published(state);
    state.replication_failures = 0;
    save_state(ctx, state);
    spdlog::info("PostgreSQL stopped. [node: {}]", ctx.node);
    return Outcome::success();
}

}  // namespace pgtwin::agent
