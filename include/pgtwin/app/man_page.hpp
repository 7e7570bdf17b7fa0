// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Manual pages in roff, generated from the parameter table and the meta-data's
// action list so that neither page can drift from the agent.

#include <string>
#include <string_view>
#include <vector>

namespace pgtwin::app {

// ocf_pgtwin_pgtwin(7): every parameter, action (with default timeout) and OCF exit code.
std::string agent_man_page();

// pgtwin(8): the command line (actions, status, storage, environment, files, exit codes).
std::string command_man_page();

// Escapes text for a roff text line: backslashes, and a leading '.' or '\''.
std::string roff_escape(std::string_view text);

// Hidden subcommand `pgtwin man-page {7|8}`: prints a page; 2 on a bad argument.
int run_man_page_command(const std::vector<std::string>& args);

}  // namespace pgtwin::app
