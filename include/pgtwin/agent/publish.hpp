// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Writing to Pacemaker: scores and node attributes without spawning a process
// per monitor (what was last published is cached in the state file and
// refreshed periodically), the attribute names, and retried or warned writes.

#include <functional>
#include <string>
#include <string_view>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/state_file.hpp"

namespace pgtwin::agent {

// Seconds after which cached values are published again anyway.
inline constexpr long long kRepublishSeconds = 300;

// Publishes the promotion score of `node` unless the cache says it is current.
Result<void> publish_score(Context& ctx, AgentState& state, const std::string& node, int score);

// Publishes a forever node attribute unless the cache says it is current.
Result<void> publish_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                               const std::string& value);

// Publishes a forever node attribute after reading it back from Pacemaker,
// bypassing the cache: for values another writer may have overwritten.
Result<void> reassert_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                                const std::string& value);

// Publishes the promotion score of `node` after reading it back, bypassing the cache.
Result<void> reassert_score(Context& ctx, AgentState& state, const std::string& node, int score);

// Private attribute holding the election members this node's pre-promote
// notification saw (promote runs without the notify variables).
std::string election_attribute(const std::string& resource);

// Logs a warning "Could not <what>." with the reason when `result` failed:
// the one way to go on after a write whose failure must not fail the action.
void warn_unless_ok(const Result<void>& result, std::string_view what);

// Runs an attribute write until it succeeds: at most 3 attempts, a short
// pause between them, within the deadline; each failure is logged with
// `what`. Returns the last result, so no failed write goes unnoticed.
Result<void> write_with_retries(Context& ctx, const std::string& what, const std::function<Result<void>()>& write);

// Forgets the cache so the next publish calls go to Pacemaker.
void invalidate_published(AgentState& state);

}  // namespace pgtwin::agent
