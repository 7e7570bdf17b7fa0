// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The app layer's entry: turns argv and the environment into an exit code.

#include <string>
#include <vector>

#include "pgtwin/ocf/params.hpp"

namespace pgtwin::app {

// Runs the OCF action or admin subcommand in `args` (args[0] is the program
// name) with environment `env`; returns the process exit code.
int run(const std::vector<std::string>& args, const ocf::EnvMap& env);

}  // namespace pgtwin::app
