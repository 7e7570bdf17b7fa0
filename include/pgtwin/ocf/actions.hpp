// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The OCF actions pgtwin declares, in one table: the meta-data's <actions>,
// the `methods` list, the usage line and the agent's dispatcher all read it,
// so an action exists in one place, as a parameter does in the parameter table.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgtwin::ocf {

// Every OCF action; the agent maps each to its code with a switch, so an
// action added here without code fails the build.
enum class Action { Start, Stop, Promote, Demote, Notify, Monitor, ValidateAll, ReloadAgent, MetaData, Methods, Usage };

// One row of the action table.
struct ActionSpec {
    Action action;
    std::string_view name;
    // Default timeout in the meta-data; nullptr: not declared there (usage).
    const char* timeout = nullptr;
    // Declared once per role of the promotable clone, with an interval each (monitor).
    bool per_role = false;
};

// A recurring operation of a per-role action: Pacemaker needs distinct
// intervals per role of a promotable clone.
struct RoleInterval {
    const char* interval;
    const char* role;
};

// The per-role intervals, in meta-data order.
inline constexpr RoleInterval kRoleIntervals[] = {{"11s", "Unpromoted"}, {"2s", "Promoted"}};

// The table, in meta-data order.
std::span<const ActionSpec> actions();

// The action named `name`, or nullopt for a name that is no OCF action.
std::optional<Action> parse_action(std::string_view name);

// The names for `methods`: one a line, every action.
std::string methods_text();

// The names joined by '|', for the usage line.
std::string action_names_for_usage();

}  // namespace pgtwin::ocf
