// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The cluster's node list (crm_node -l), where node_list leaves the peer to
// the cluster.

#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::pcmk {

// Names in `crm_node -l` output ("<id> <name> <state>" per line, Pacemaker
// 2.1; a line of only a name is accepted too), sorted and without duplicates.
std::vector<std::string> parse_crm_node_list(const std::string& out);

// Every node the cluster knows (past and present members, so a peer that is
// down now is listed). An error when crm_node cannot run or fails, e.g. when
// no cluster runs on this host (ocf-tester).
Result<std::vector<std::string>> cluster_nodes(sys::CommandRunner& runner, const Deadline& d);

}  // namespace pgtwin::pcmk
