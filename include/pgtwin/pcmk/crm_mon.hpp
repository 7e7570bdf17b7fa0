// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The cluster's view as `crm_mon --output-as=xml` prints it (Pacemaker 2.1,
// api-version 2.x): nodes, resources and transient node attributes.

#include <map>
#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::pcmk {

// One cluster node as crm_mon reports it.
struct MonNode {
    std::string name;
    bool online = false;
    bool standby = false;
    bool unclean = false;  // lost without being fenced yet
    bool maintenance = false;
    bool pending = false;                           // in the membership, not yet joined the controller
    std::map<std::string, std::string> attributes;  // node_attributes section
};

// One resource instance (clone instances appear once per role and node set).
struct MonResource {
    std::string id;              // primitive id, e.g. "pgsql"
    std::string parent;          // enclosing clone/group/bundle id, "" at top level
    std::string resource_agent;  // e.g. "ocf:pgtwin:pgtwin"
    std::string role;            // "Promoted", "Unpromoted", "Started", "Stopped"...
    bool active = false;
    bool failed = false;
    std::vector<std::string> nodes;  // names of the nodes it runs on
};

// The parts of crm_mon's output the agent and admin commands use.
struct MonStatus {
    std::vector<MonNode> nodes;
    std::vector<MonResource> resources;
    bool fencing_enabled = false;  // cluster_options stonith-enabled="true" (absent: false)
    // The node named `name`, or nullptr.
    const MonNode* node(const std::string& name) const;
};

// Parses crm_mon's XML; malformed XML or a missing <nodes> is a Generic error.
Result<MonStatus> parse_crm_mon(const std::string& xml);

// `name`'s membership in the partition that printed `st`: online is Member
// (pending is Unknown), unclean is Unclean, otherwise offline is CleanDown
// when fencing is enabled and DownUnfenced when it is not (Pacemaker marks
// a lost node clean when it cannot fence); a node crm_mon does not list is
// Unknown.
Membership membership_of(const MonStatus& st, const std::string& name);

// Runs `crm_mon --output-as=xml` (one shot) and parses it.
Result<MonStatus> query_crm_mon(sys::CommandRunner& runner, const Deadline& d);

}  // namespace pgtwin::pcmk
