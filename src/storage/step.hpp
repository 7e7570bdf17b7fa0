// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Running one btrfs/chcon step for the storage layer (internal).

#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::storage::detail {

// Runs argv with a timeout from `d`; a non-zero exit is an Error naming `what`
// with the tool's own message.
Result<void> run_step(const std::string& what, std::vector<std::string> argv, sys::CommandRunner& runner,
                      const Deadline& d);

}  // namespace pgtwin::storage::detail
