// SPDX-License-Identifier: GPL-2.0-or-later
// reload-agent (OCF 1.1): Pacemaker calls it instead of a restart when only
// parameters marked reloadable changed. Most of them are read afresh by every
// action; what PostgreSQL holds is applied here, without restarting it.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/timing.hpp"

namespace pgtwin::agent {

Outcome action_reload(Context& ctx) {
    auto s = connect_local(ctx, kLocalCap);
    if (!s) {
        // Stopped here: the next start reads the new values.
        spdlog::info("reload-agent: PostgreSQL does not answer; new parameters apply at start. [reason: {}]",
                     s.error().message);
        return Outcome::success();
    }
    auto st = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
    if (!st) return Outcome::failure(st.error(), "reload-agent");
    if (st->in_recovery) {
        spdlog::info("reload-agent: standby; the new parameters apply from the next monitor.");
        return Outcome::success();
    }
    // The primary's maintenance applies rep_mode (synchronous_standby_names)
    // and max_slot_wal_keep_size with ALTER SYSTEM and a configuration reload.
    AgentState state = load_state(ctx);
    auto r = maintain_primary(ctx, **s, *st, state);
    save_state(ctx, state);
    if (!r) return Outcome::failure(r.error(), "reload-agent: cannot apply the parameters");
    spdlog::info("reload-agent: parameters applied to the primary. [rep_mode: {}]",
                 ctx.cfg.rep_mode == ocf::RepMode::Sync ? "sync" : "async");
    return Outcome::success();
}

}  // namespace pgtwin::agent
