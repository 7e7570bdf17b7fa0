// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// `pgtwin storage ...`: the administrator's commands for the container-mode
// Btrfs layout (plan, init, snapshot, list, restore, prune).

#include <string>
#include <vector>

namespace pgtwin::app {

// Runs `pgtwin storage <args>` (args[0] is the program, args[1] "storage").
int run_storage_command(const std::vector<std::string>& args);

}  // namespace pgtwin::app
