// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Replication housekeeping shared by start, monitor and promote.

#include <optional>
#include <string>
#include <vector>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::agent {

// The pg_stat_replication row of `app_name`, preferring a streaming one
// (a reconnecting standby can briefly show two).
std::optional<pg::ReplicationPeer> find_standby_row(const std::vector<pg::ReplicationPeer>& rows,
                                                    const std::string& app_name);

// application_name the peer uses (its node name unless set explicitly,
// in which case both nodes share the configured value).
std::string peer_application_name(const Context& ctx);

// Replication slot name for `node` (the configured one if set explicitly).
std::string slot_name_for(const Context& ctx, const std::string& node);

// Primary side, run by every recurring monitor: judge the standby, publish
// its score and state, adapt synchronous_standby_names (publishing a
// not-promotable verdict BEFORE degrading, so a stale standby can never be
// promoted with acknowledged writes missing), keep slots and WAL cap in order.
Result<void> maintain_primary(Context& ctx, pg::Session& session, const pg::InstanceStatus& self, AgentState& state);

// Ensures the peer's slot and the WAL retention cap on a primary.
Result<void> ensure_slots_and_cap(Context& ctx, pg::Session& session);

// Writes standby.signal and the agent-owned settings in postgresql.auto.conf
// (primary_conninfo to the peer, slot, timeline, no sync standby names).
Result<void> write_standby_config(Context& ctx);

}  // namespace pgtwin::agent
