// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Editing postgresql.auto.conf: pgtwin changes only the keys it owns and
// keeps every other line (the administrator's ALTER SYSTEM settings) as is.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pgtwin/core/result.hpp"

namespace pgtwin::pg {

// Settings to write (value) or remove (nullopt). Values are quoted on output.
using SettingChanges = std::map<std::string, std::optional<std::string>>;

// Returns `text` with the changes applied: matching lines replaced in place,
// removed ones dropped, new ones appended. Other lines are untouched.
std::string apply_auto_conf_changes(std::string_view text, const SettingChanges& changes);

// Reads the value of `name` from postgresql.auto.conf text, unquoted.
std::optional<std::string> read_auto_conf_value(std::string_view text, std::string_view name);

// Quotes a value as PostgreSQL's configuration file syntax expects ('...' with '' for ').
std::string quote_conf_value(std::string_view value);

}  // namespace pgtwin::pg
