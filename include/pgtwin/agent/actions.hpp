// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The OCF actions. Each takes the wired Context and returns the status to
// exit with plus, for failures, the one-line reason.

#include <optional>
#include <string>
#include <string_view>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::agent {

Outcome action_start(Context& ctx);
Outcome action_stop(Context& ctx);
Outcome action_monitor(Context& ctx);
Outcome action_promote(Context& ctx);
Outcome action_demote(Context& ctx);
// reload-agent: applies changed reloadable parameters without restarting PostgreSQL.
Outcome action_reload(Context& ctx);
Outcome action_notify(Context& ctx);
Outcome action_validate(Context& ctx);
// validate-all's checks that need no running instance (run before start,
// promote, demote: a missing grant must not fail those with rc 6); SCOPE
// says what the backend may take as proven (backend/backend.hpp).
Outcome validate_configuration(Context& ctx, backend::ValidateScope scope);
// What is wrong with the clone's meta attributes pgtwin relies on (notify=true,
// promoted-max=1, clone-max=2), checking only those Pacemaker passed.
std::optional<std::string> clone_meta_problem(const ocf::MetaEnv& meta);
// "pg_ctl (PostgreSQL) 15.5" -> "15" (9.x: "9.6"); "" when unrecognised.
std::string major_of_version_output(const std::string& out);

// Runs the agent action named `name` (an action of the table in
// ocf/actions.hpp that needs a Context); other names give ErrUnimplemented.
Outcome dispatch(std::string_view name, Context& ctx);

// True for the action names dispatch() handles.
bool is_agent_action(std::string_view name);

}  // namespace pgtwin::agent
