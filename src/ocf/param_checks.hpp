// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Value checks shared by the parameter table's apply functions (src/ocf only).
// Each returns the bare reason; parse_config prefixes it with "<param>: ".

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/result.hpp"

namespace pgtwin::ocf::detail {

// An InvalidConfig error carrying `reason`.
Error invalid(std::string reason);

// Splits on ASCII whitespace, dropping empty words.
std::vector<std::string> split_words(std::string_view text);

// Absolute path made only of [A-Za-z0-9/._@+-]: pg_ctl hands these to a shell.
Result<void> check_shell_safe_path(std::string_view value);

// Absolute path without control characters (used through argv or env only).
Result<void> check_absolute_path(std::string_view value);

// PostgreSQL replication slot name: [a-z0-9_], 1..63 characters.
Result<void> check_slot_name(std::string_view value);

// A name used in conninfo and synchronous_standby_names: [A-Za-z0-9_.-], 1..63.
Result<void> check_pg_name(std::string_view value);

// A single word of [A-Za-z0-9] plus the characters in `extra`.
Result<void> check_word(std::string_view value, std::string_view extra);

// PostgreSQL size for max_slot_wal_keep_size: -1 or digits with B/kB/MB/GB/TB.
Result<void> check_wal_size(std::string_view value);

// Options handed to postgres through pg_ctl -o (a shell): no shell metacharacters.
Result<void> check_start_opts(std::string_view value);

// Text without control characters (newlines would break generated files).
Result<void> check_no_control(std::string_view value);

// "a b": exactly two distinct node names.
Result<std::vector<std::string>> parse_node_list(std::string_view value);

// "a=10.0.0.1 b=host.example": node name -> address, names unique.
Result<std::map<std::string, std::string>> parse_node_addresses(std::string_view value);

}  // namespace pgtwin::ocf::detail
